package dev.emend.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.DescriptorProtos.SourceCodeInfo;
import com.google.protobuf.Message;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks the emend.v1 contracts the way their consumers will use them, without packaging any
 * generated code: runs protoc (the BOM-managed artifact, fetched by maven-dependency-plugin) on
 * {@code src/main/proto} into {@code target/proto-check}, compiles the generated Java against
 * the BOM's protobuf-java, and then reads the descriptor set to enforce the API-doc rules
 * (every element commented, Java options, model-backed responses carry phase/space/model_version).
 */
class ProtoContractTest {

  private static final Set<String> WELL_KNOWN =
      Set.of("struct.proto", "timestamp.proto", "empty.proto", "duration.proto");

  /** Responses of RPCs that used a model; each must name the phase, space and model version. */
  private static final List<String> MODEL_BACKED_RESPONSES =
      List.of("ApplyEditsResponse", "RollbackResponse", "GenerateResponse", "ScoreResponse",
          "ScoreBatchResponse");

  private static Path checkDir;
  private static FileDescriptorSet descriptors;

  @BeforeAll
  static void compileProtos() throws Exception {
    Path protoc = Path.of(System.getProperty("emend.protoc"));
    Path protoDir = Path.of(System.getProperty("emend.proto.dir"));
    checkDir = Path.of(System.getProperty("emend.proto.check.dir"));
    assertTrue(Files.isRegularFile(protoc), "protoc not found at " + protoc
        + " (maven-dependency-plugin fetches it in generate-test-resources)");
    protoc.toFile().setExecutable(true);

    Path includes = checkDir.resolve("include");
    Path javaOut = checkDir.resolve("java");
    Path classesOut = checkDir.resolve("classes");
    for (Path dir : List.of(includes.resolve("google/protobuf"), javaOut, classesOut)) {
      Files.createDirectories(dir);
    }
    // protoc from Maven has no bundled includes; the well-known types ship inside protobuf-java.
    for (String name : WELL_KNOWN) {
      try (InputStream in = Message.class.getResourceAsStream("/google/protobuf/" + name)) {
        assertTrue(in != null, "protobuf-java lacks google/protobuf/" + name);
        Files.copy(in, includes.resolve("google/protobuf/" + name),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }

    List<String> protos;
    try (Stream<Path> files = Files.walk(protoDir)) {
      protos = files.filter(p -> p.toString().endsWith(".proto"))
          .map(p -> protoDir.relativize(p).toString().replace('\\', '/'))
          .sorted().collect(Collectors.toList());
    }
    assertFalse(protos.isEmpty(), "no .proto files under " + protoDir);

    Path descriptorFile = checkDir.resolve("emend-v1.pb");
    List<String> command = new ArrayList<>(List.of(protoc.toString(),
        "--fatal_warnings",
        "--proto_path=" + protoDir, "--proto_path=" + includes,
        "--java_out=" + javaOut,
        "--include_source_info", "--descriptor_set_out=" + descriptorFile));
    command.addAll(protos);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int exit = process.waitFor();
    assertEquals(0, exit, "protoc failed:\n" + output);

    compileGeneratedJava(javaOut, classesOut);
    try (InputStream in = Files.newInputStream(descriptorFile)) {
      descriptors = FileDescriptorSet.parseFrom(in);
    }
  }

  private static void compileGeneratedJava(Path sources, Path classes) throws IOException {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertTrue(javac != null, "no system Java compiler (run the build on a JDK)");
    List<String> args = new ArrayList<>(List.of("-d", classes.toString(),
        "-classpath", System.getProperty("java.class.path"), "-proc:none", "-nowarn"));
    try (Stream<Path> files = Files.walk(sources)) {
      files.filter(p -> p.toString().endsWith(".java")).forEach(p -> args.add(p.toString()));
    }
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int exit = javac.run(null, null, err, args.toArray(String[]::new));
    assertEquals(0, exit, "generated Java does not compile against protobuf-java:\n" + err);
  }

  private static List<FileDescriptorProto> ownFiles() {
    return descriptors.getFileList().stream()
        .filter(f -> f.getPackage().equals("emend.v1")).collect(Collectors.toList());
  }

  @Test
  void filesUseTheAgreedJavaOptions() {
    assertFalse(ownFiles().isEmpty());
    for (FileDescriptorProto file : ownFiles()) {
      assertTrue(file.getOptions().getJavaMultipleFiles(), file.getName() + ": java_multiple_files");
      assertEquals("dev.emend.api.v1", file.getOptions().getJavaPackage(), file.getName());
      assertEquals("proto3", file.getSyntax(), file.getName());
    }
  }

  @Test
  void everyElementIsDocumented() {
    List<String> missing = new ArrayList<>();
    for (FileDescriptorProto file : ownFiles()) {
      Map<List<Integer>, String> comments = new HashMap<>();
      for (SourceCodeInfo.Location loc : file.getSourceCodeInfo().getLocationList()) {
        comments.put(loc.getPathList(), loc.getLeadingComments());
      }
      Documented check = (path, what) -> {
        String comment = comments.get(path);
        if (comment == null || comment.isBlank()) {
          missing.add(file.getName() + ": " + what);
        }
      };
      for (int i = 0; i < file.getMessageTypeCount(); i++) {
        checkMessage(file.getMessageType(i), List.of(4, i), check);
      }
      for (int i = 0; i < file.getEnumTypeCount(); i++) {
        checkEnum(file.getEnumType(i), List.of(5, i), check);
      }
      for (int i = 0; i < file.getServiceCount(); i++) {
        ServiceDescriptorProto service = file.getService(i);
        check.at(List.of(6, i), "service " + service.getName());
        for (int m = 0; m < service.getMethodCount(); m++) {
          String rpc = service.getName() + "." + service.getMethod(m).getName();
          check.at(List.of(6, i, 2, m), "rpc " + rpc);
          String comment = comments.getOrDefault(List.of(6, i, 2, m), "");
          if (!comment.contains("Errors:")) {
            missing.add(file.getName() + ": rpc " + rpc + " does not list its status codes (Errors:)");
          }
        }
      }
    }
    assertTrue(missing.isEmpty(), "undocumented:\n" + String.join("\n", missing));
  }

  @Test
  void enumsStartWithUnspecified() {
    for (FileDescriptorProto file : ownFiles()) {
      for (EnumDescriptorProto e : file.getEnumTypeList()) {
        assertTrue(e.getValue(0).getName().endsWith("_UNSPECIFIED") && e.getValue(0).getNumber() == 0,
            e.getName() + " must start with an _UNSPECIFIED zero value");
      }
    }
  }

  @Test
  void modelBackedResponsesNamePhaseSpaceAndModelVersion() {
    Map<String, DescriptorProto> messages = ownFiles().stream()
        .flatMap(f -> f.getMessageTypeList().stream())
        .collect(Collectors.toMap(DescriptorProto::getName, m -> m));
    for (String name : MODEL_BACKED_RESPONSES) {
      DescriptorProto message = messages.get(name);
      assertTrue(message != null, "missing message " + name);
      Map<String, String> fields = message.getFieldList().stream().collect(Collectors.toMap(
          f -> f.getName(), f -> f.getTypeName().isEmpty() ? f.getType().name() : f.getTypeName()));
      assertEquals(".emend.v1.Phase", fields.get("phase"), name + ".phase");
      assertEquals("TYPE_STRING", fields.get("space"), name + ".space");
      assertEquals(".emend.v1.ModelVersion", fields.get("model_version"), name + ".model_version");
    }
  }

  private static void checkMessage(DescriptorProto message, List<Integer> path, Documented check) {
    check.at(path, "message " + message.getName());
    for (int f = 0; f < message.getFieldCount(); f++) {
      check.at(append(path, 2, f), "field " + message.getName() + "." + message.getField(f).getName());
    }
    for (int n = 0; n < message.getNestedTypeCount(); n++) {
      if (!message.getNestedType(n).getOptions().getMapEntry()) {
        checkMessage(message.getNestedType(n), append(path, 3, n), check);
      }
    }
    for (int e = 0; e < message.getEnumTypeCount(); e++) {
      checkEnum(message.getEnumType(e), append(path, 4, e), check);
    }
    for (int o = 0; o < message.getOneofDeclCount(); o++) {
      String oneof = message.getOneofDecl(o).getName();
      if (!oneof.startsWith("_")) { // synthetic oneofs of proto3 `optional` fields
        check.at(append(path, 8, o), "oneof " + message.getName() + "." + oneof);
      }
    }
  }

  private static void checkEnum(EnumDescriptorProto e, List<Integer> path, Documented check) {
    check.at(path, "enum " + e.getName());
    for (int v = 0; v < e.getValueCount(); v++) {
      check.at(append(path, 2, v), "enum value " + e.getValue(v).getName());
    }
  }

  private static List<Integer> append(List<Integer> path, int... more) {
    List<Integer> result = new ArrayList<>(path);
    for (int i : more) {
      result.add(i);
    }
    return result;
  }

  @FunctionalInterface
  private interface Documented {
    void at(List<Integer> path, String what);
  }
}
