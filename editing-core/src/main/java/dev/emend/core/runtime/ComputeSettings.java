package dev.emend.core.runtime;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;
import java.util.function.Function;

/**
 * Where and in which dtype a model computes, from the settings {@code EMEND_DEVICE}
 * ({@code cpu} | {@code cuda} | {@code cuda:N}) and {@code EMEND_DTYPE} ({@code auto} |
 * {@code float32} | {@code bfloat16} | {@code float16}), each an environment variable or the Java
 * system property {@code emend.device} / {@code emend.dtype} (the property wins). Asking for a GPU
 * the engine cannot reach is an error at startup naming what to install or set, never a silent CPU
 * run.
 *
 * <p>{@code auto} is float16 on a GPU for a float16 checkpoint and float32 otherwise: on the CPU
 * each weight is converted to float32 as it is used (bf16/fp16 to fp32 is exact), which gives the
 * numbers of a float32 checkpoint; DJL 0.36's PyTorch engine has no bfloat16 at all, so a bf16
 * model computes in float32 on every device (its activations may exceed float16's range).
 */
public record ComputeSettings(Device device, String dtypeSetting) {

    public static final String DEVICE_VARIABLE = "EMEND_DEVICE";
    public static final String DTYPE_VARIABLE = "EMEND_DTYPE";

    /** The libtorch this build's DJL engine loads when the user brings their own CUDA build. */
    static final String TORCH_VERSION = "2.7.1";

    public ComputeSettings {
        String d = dtypeSetting.toLowerCase(Locale.ROOT);
        if (!d.equals("auto") && parseDtype(d) == null) {
            throw new IllegalArgumentException(DTYPE_VARIABLE + "=" + dtypeSetting
                    + " is not a dtype: use auto, float32, bfloat16 or float16");
        }
        if (parseDtype(d) == DataType.BFLOAT16) {
            throw new IllegalArgumentException(DTYPE_VARIABLE + "=" + dtypeSetting + ": the PyTorch engine of DJL "
                    + "0.36 has no bfloat16 type (its JNI aborts on one); bf16 checkpoints are held as float16 and "
                    + "computed in float32 or float16: use auto, float32 or float16");
        }
        dtypeSetting = d;
    }

    /** The settings of this process (environment and system properties), the device checked. */
    public static ComputeSettings current() {
        return from(name -> {
            String prop = System.getProperty(name.toLowerCase(Locale.ROOT).replace('_', '.'));
            return prop != null ? prop : System.getenv(name);
        });
    }

    /** Settings read through {@code lookup} (variable name to value or null). */
    static ComputeSettings from(Function<String, String> lookup) {
        String dev = lookup.apply(DEVICE_VARIABLE);
        String dtype = lookup.apply(DTYPE_VARIABLE);
        Device device = parseDevice(dev == null || dev.isBlank() ? "cpu" : dev.trim());
        if (device.isGpu()) {
            checkGpu(device, dev.trim());
        }
        return new ComputeSettings(device, dtype == null || dtype.isBlank() ? "auto" : dtype.trim());
    }

    /** {@code cpu}, {@code cuda}, {@code cuda:N} (also DJL's {@code gpu}, {@code gpu:N}). */
    static Device parseDevice(String s) {
        String v = s.toLowerCase(Locale.ROOT);
        if (v.equals("cpu")) {
            return Device.cpu();
        }
        String[] parts = v.split(":", -1);
        if ((parts[0].equals("cuda") || parts[0].equals("gpu")) && parts.length <= 2) {
            if (parts.length == 1) {
                return Device.gpu(0);
            }
            try {
                int id = Integer.parseInt(parts[1]);
                if (id >= 0) {
                    return Device.gpu(id);
                }
            } catch (NumberFormatException e) {
                // fall through to the error
            }
        }
        throw new IllegalArgumentException(DEVICE_VARIABLE + "=" + s + " is not a device: use cpu, cuda or cuda:N");
    }

    /** Fails with what to install or set unless the loaded engine sees GPU {@code device}. */
    static void checkGpu(Device device, String asked) {
        int gpus;
        String engineInfo;
        try {
            Engine engine = Engine.getEngine("PyTorch");
            gpus = engine.getGpuCount();
            engineInfo = "PyTorch " + engine.getVersion();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new IllegalStateException(DEVICE_VARIABLE + "=" + asked + ": the PyTorch engine did not load ("
                    + e.getMessage() + "). " + howToGetCuda(), e);
        }
        if (gpus == 0) {
            throw new IllegalStateException(DEVICE_VARIABLE + "=" + asked + " asks for a GPU, but the loaded "
                    + engineInfo + " sees none (it is the CPU build, or no CUDA driver/GPU is visible). "
                    + howToGetCuda() + " Or unset " + DEVICE_VARIABLE + " to run on the CPU.");
        }
        if (device.getDeviceId() >= gpus) {
            throw new IllegalStateException(DEVICE_VARIABLE + "=" + asked + ": the engine sees " + gpus
                    + " GPU(s), cuda:0.." + "cuda:" + (gpus - 1) + "; pick one of those");
        }
    }

    private static String howToGetCuda() {
        String path = System.getenv("PYTORCH_LIBRARY_PATH");
        return "To run on a GPU, install a CUDA build of libtorch " + TORCH_VERSION
                + " (the lib folder of a CUDA PyTorch " + TORCH_VERSION + " wheel works) and set"
                + " PYTORCH_LIBRARY_PATH=<that>/lib PYTORCH_VERSION=" + TORCH_VERSION + " PYTORCH_FLAVOR=cu128"
                + " (PYTORCH_LIBRARY_PATH is now " + (path == null ? "unset" : "'" + path + "'") + ").";
    }

    /**
     * The compute dtype for a checkpoint whose weights are held mostly in {@code stored};
     * {@code storedAsBf16} when the file's dtype was BF16 (held as float16, see SafetensorsFile):
     * such a model, trained in bf16's range, computes in float32 even on a GPU, since its
     * activations may exceed float16's.
     */
    public DataType computeType(DataType stored, boolean storedAsBf16) {
        return switch (dtypeSetting) {
            case "auto" -> device.isGpu() && stored == DataType.FLOAT16 && !storedAsBf16 ? DataType.FLOAT16 : DataType.FLOAT32;
            default -> parseDtype(dtypeSetting);
        };
    }

    private static DataType parseDtype(String s) {
        return switch (s) {
            case "float32", "fp32", "f32" -> DataType.FLOAT32;
            case "bfloat16", "bf16" -> DataType.BFLOAT16;
            case "float16", "fp16", "f16", "half" -> DataType.FLOAT16;
            default -> null;
        };
    }
}
