package dev.emend.phase.service;

import dev.emend.api.v1.CancelEditResponse;
import dev.emend.api.v1.EditProgress;
import dev.emend.api.v1.TrainMethodRequest;
import dev.emend.api.v1.TrainMethodResponse;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.method.MethodRegistry;
import dev.emend.core.method.TrainableMethod;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.knowedit.DatasetRoots;
import dev.emend.phase.mapping.ProtoMapping;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * TrainMethod: trains the component of a {@link TrainableMethod} (found through the
 * {@link MethodRegistry}, so this service knows no method) for the served model, on the edit queue
 * (training needs PyTorch's process-global gradient collector as edits do), staged so that a cancel
 * or failure leaves the previous component. Training files are confined to the data set
 * directories ({@code emend.training.dataset-dirs}) with knowedit's {@link DatasetRoots}; the
 * component must land inside the model directory. One training at a time; its progress and cancel
 * go through the same {@link EditTracker} as an edit call's.
 */
@ApplicationScoped
public class TrainingService {
    private static final int REMEMBERED = 100;

    @Inject
    SpaceRegistry registry;
    @Inject
    EditQueue queue;

    /** What relative training files and directories are resolved against. */
    @ConfigProperty(name = "emend.training.data-dir", defaultValue = ".")
    String dataDir;
    /** The only directories training files are read from (comma-separated). */
    @ConfigProperty(name = "emend.training.dataset-dirs", defaultValue = "benchmarks")
    List<String> datasetDirs;
    /** The files of a request that names none. */
    @ConfigProperty(name = "emend.training.default-files",
            defaultValue = "benchmarks/emend-facts/zsre-train.json,benchmarks/emend-facts/counterfact-train.json")
    List<String> defaultFiles;

    private record Running(String method, String key, EditTracker tracker, CompletableFuture<TrainMethodResponse> result) {
    }

    private final AtomicReference<Running> running = new AtomicReference<>();
    /** Answers of trainings finished since start, by method + NUL + key (a re-sent key gets its result). */
    private final Map<String, TrainMethodResponse> finished = java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, TrainMethodResponse> eldest) {
                    return size() > REMEMBERED;
                }
            });
    private volatile MethodRegistry methods;

    private MethodRegistry methods() {
        if (methods == null) {
            methods = MethodRegistry.load();
        }
        return methods;
    }

    /** The trainable method of this phase called {@code name}, if it is one. */
    private Optional<TrainableMethod> trainable(String name) {
        return methods().find(name).filter(TrainableMethod.class::isInstance).map(TrainableMethod.class::cast);
    }

    /** Whether this phase's method {@code name} needs training (MethodInfo.trainable). */
    public boolean isTrainable(String name) {
        return trainable(name).isPresent();
    }

    private List<String> trainableNames() {
        return registry.engine().methods().stream().map(MethodDescriptor::name).filter(this::isTrainable).toList();
    }

    public TrainMethodResponse train(TrainMethodRequest call) {
        String key = call.getIdempotencyKey();
        if (key.isBlank()) {
            throw EditException.invalid("idempotency_key", "no idempotency key given: a training is followed and "
                    + "cancelled by it (GetEditProgress with method and key)");
        }
        if (call.getMethod().isBlank()) {
            throw EditException.invalid("method", "no method given; trainable methods here: " + trainableNames());
        }
        MethodDescriptor described = registry.method(call.getMethod(), "method");
        TrainableMethod method = trainable(described.name()).orElseThrow(() -> EditException.invalid("method",
                described.name() + " needs no training; trainable methods here: " + trainableNames()));
        String id = described.name() + "\u0000" + key;
        TrainMethodResponse done = finished.get(id);
        if (done != null && !call.getValidateOnly()) {
            return done;
        }
        Running now = running.get();
        if (now != null && now.method().equals(described.name()) && now.key().equals(key) && !call.getValidateOnly()) {
            return EditQueue.await(now.result()); // a re-send of the running training: its answer
        }
        TrainableMethod.TrainingRequest request = request(call);
        LanguageModel lm = registry.engine().model();
        Path file = method.target(request, lm);
        if (!file.startsWith(lm.directory().toAbsolutePath().normalize())) {
            throw EditException.invalid("hparams", described.name() + " would write " + file + ", outside the model directory "
                    + lm.directory() + ": through this service the component is named, not placed (MEND: editor = a name "
                    + "under <model-dir>/mend/)");
        }
        TrainMethodResponse.Builder answer = TrainMethodResponse.newBuilder()
                .setPhase(ProtoMapping.phase(registry.engine().phase())).setMethod(described.name())
                .setFile(file.toString()).setModelFingerprint(lm.fingerprint())
                .addAllTrainFiles(request.trainFiles().stream().map(Path::toString).toList());
        Running mine = new Running(described.name(), key, new EditTracker(1), new CompletableFuture<>());
        if (call.getValidateOnly()) {
            refuseIfRunning(running.get());
            return answer.build();
        }
        while (!running.compareAndSet(null, mine)) {
            refuseIfRunning(running.get());
        }
        try {
            TrainMethodResponse r = queue.run(() -> {
                mine.tracker().checkCancelled();
                mine.tracker().started();
                long t0 = System.nanoTime();
                String[] last = {""};
                String what = "training " + described.name() + " (" + key + ")";
                // the method's own lines (every few steps, validations) are the log; the per-step progress only feeds the tracker
                method.train(request, mine.tracker().progress(dev.emend.core.edit.Progress.NONE), line -> {
                    last[0] = line;
                    Log.infof("%s: %s", what, line);
                });
                mine.tracker().unitDone();
                return answer.setSeconds((System.nanoTime() - t0) / 1e9).setSummary(last[0]).build();
            });
            finished.put(id, r);
            mine.result().complete(r);
            return r;
        } catch (RuntimeException e) {
            mine.result().completeExceptionally(e);
            throw e;
        } finally {
            running.compareAndSet(mine, null);
        }
    }

    private static void refuseIfRunning(Running other) {
        if (other != null) {
            throw EditException.precondition("method", "a training of " + other.method() + " (idempotency key '" + other.key()
                    + "', " + other.tracker().snapshot().getStage() + ") is running; one training runs at a time: wait for "
                    + "it or cancel it (CancelEdit with its method and key)");
        }
    }

    private TrainableMethod.TrainingRequest request(TrainMethodRequest call) {
        double valFraction = call.hasValFraction() ? call.getValFraction() : 0.1;
        if (!(valFraction >= 0 && valFraction < 1)) {
            throw EditException.invalid("val_fraction", "must be in [0, 1), got " + valFraction);
        }
        DatasetRoots roots = new DatasetRoots(Path.of(dataDir), datasetDirs, "emend.training.dataset-dirs");
        List<String> given = call.getTrainFilesCount() == 0 ? defaultFiles : call.getTrainFilesList();
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < given.size(); i++) {
            try {
                files.add(roots.resolve(given.get(i), "train_files[" + i + "]", ""));
            } catch (DatasetRoots.Refused e) {
                throw new EditException(switch (e.kind()) {
                    case OUTSIDE -> EditException.Reason.PERMISSION_DENIED;
                    case NOT_FOUND -> EditException.Reason.NOT_FOUND;
                    case MALFORMED -> EditException.Reason.INVALID_ARGUMENT;
                }, "", e.getMessage());
            }
        }
        Path modelDir = registry.engine().model().directory().toAbsolutePath().normalize();
        return new TrainableMethod.TrainingRequest(modelDir, files, valFraction, ProtoMapping.map(call.getHparams()), null,
                false, call.getOverwrite(), true);
    }

    private Running tracked(String method, String key) {
        if (key == null || key.isBlank()) {
            throw EditException.invalid("idempotency_key", "no idempotency key given: only calls sent with one can be followed");
        }
        Running r = running.get();
        return r != null && r.method().equalsIgnoreCase(method) && r.key().equals(key) ? r : null;
    }

    /** GetEditProgress of a training: its progress while it is queued or training, else UNKNOWN. */
    public EditProgress progress(String method, String key) {
        Running r = tracked(method, key);
        return r == null ? EditTracker.unknown() : r.tracker().snapshot();
    }

    /** CancelEdit of a training: its next step stops it; nothing is written. */
    public CancelEditResponse cancel(String method, String key) {
        Running r = tracked(method, key);
        if (r == null) {
            return CancelEditResponse.newBuilder().setCancelled(false).setProgress(EditTracker.unknown()).build();
        }
        r.tracker().cancel();
        Log.infof("training of %s (%s): cancel requested", method, key);
        return CancelEditResponse.newBuilder().setCancelled(true).setProgress(r.tracker().snapshot()).build();
    }
}
