package dev.emend.cli;

import dev.emend.core.model.CheckpointException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code ./emend} command line. Every subcommand writes results to the command line's out
 * stream and progress to its err stream. Errors become one line on stderr: exit 2 for bad input
 * (unusable checkpoint, prompt too long, invalid option values), exit 1 for other failures; the
 * stack trace is printed only with {@code --verbose}.
 */
@Command(name = "emend",
        mixinStandardHelpOptions = true,
        version = "emend 0.1.0",
        description = "Knowledge editing for language models: inspect, run, check and train the models Emend edits.",
        footerHeading = "%nEnvironment:%n",
        footer = {
            "  EMEND_MODEL_DIR  default model directory (else <repo>/models/emend-facts)",
            "  EMEND_THREADS    PyTorch intra-op threads used by ./emend (else nproc)",
            "  EMEND_SERVICE_THREADS  the same for each service ./emend up starts (else nproc / 2)",
            "  DJL_CACHE_DIR    native PyTorch cache (./emend: <repo>/.cache/djl)",
            "  EMEND_GATEWAY_URL  gateway of spaces, edit, ... (default localhost:8080)",
            "  EMEND_API_KEY    its key (default: <repo>/.emend/admin-key)",
            "",
            "Exit codes: 0 success, 1 failure, 2 bad input or usage."},
        subcommands = {
            CommandLine.HelpCommand.class,
            ModelInfoCommand.class,
            GenerateCommand.class,
            ScoreCommand.class,
            TokenizeCommand.class,
            FactsCheckCommand.class,
            TrainFactsCommand.class,
            TrainMendCommand.class,
            BenchmarksCommand.class,
            RuntimeBenchCommand.class,
            SynthCheckpointCommand.class,
            dev.emend.cli.stack.UpCommand.class,
            dev.emend.cli.stack.DownCommand.class,
            dev.emend.cli.stack.StatusCommand.class,
            dev.emend.cli.stack.DemoCommand.class,
            dev.emend.cli.stack.ChaosCommand.class,
            dev.emend.cli.stack.RestartCommand.class,
            dev.emend.cli.remote.SpacesCommand.class,
            dev.emend.cli.remote.EditCommand.class,
            dev.emend.cli.remote.OperationsCommand.class,
            dev.emend.cli.remote.EditsCommand.class,
            dev.emend.cli.remote.RollbackCommand.class,
            dev.emend.cli.remote.ExperimentsCommand.class,
            dev.emend.cli.remote.KeysCommand.class,
            dev.emend.cli.remote.EvaluateCommand.class,
            BenchCommand.class,
            TraceCommand.class, TraceAverageCommand.class})
public final class EmendCli implements Runnable {
    /** System property naming the repository root (set by ./emend and by surefire). */
    public static final String REPO_ROOT_PROPERTY = "emend.repo.root";
    public static final String MODEL_DIR_ENV = "EMEND_MODEL_DIR";

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "Print stack traces for errors and extra diagnostics.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        // No subcommand given: a usage error; the handler prints the usage.
        throw new ParameterException(spec.commandLine(), "no command given");
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** A configured command line; tests call {@code execute} on it with their own out/err. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new EmendCli());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler(EmendCli::handleExecutionException);
        cl.setParameterExceptionHandler(EmendCli::handleParameterException);
        return cl;
    }

    /** Exit code for an exception thrown by a command: 2 for bad input, 1 otherwise. */
    static int exitCodeOf(Throwable e) {
        if (e instanceof CheckpointException || e instanceof IllegalArgumentException) {
            return 2; // includes ContextLengthException and NumberFormatException
        }
        if (e instanceof dev.emend.core.edit.EditException ee && (ee.reason() == dev.emend.core.edit.EditException.Reason.INVALID_ARGUMENT
                || ee.reason() == dev.emend.core.edit.EditException.Reason.FAILED_PRECONDITION)) {
            return 2; // a method refused the request as given (e.g. train-mend over an existing editor)
        }
        if (e instanceof dev.emend.cli.stack.GatewayClient.GatewayException g && g.status() / 100 == 4 && g.status() != 429) {
            return 2; // the gateway refused the request as sent (its problem detail says why)
        }
        return 1;
    }

    private static int handleExecutionException(Exception e, CommandLine cl, ParseResult pr) {
        PrintWriter err = cl.getErr();
        String message = e.getMessage();
        boolean verbose = verbose(pr);
        if (message == null || message.isBlank()) {
            message = e.getClass().getSimpleName();
        } else if (exitCodeOf(e) == 1 && !(e instanceof dev.emend.cli.stack.GatewayClient.GatewayException)) {
            message = message + " (" + e.getClass().getSimpleName() + (verbose ? ")" : "; --verbose shows the stack trace)");
        }
        err.println("emend " + cl.getCommandName() + ": " + oneLine(message));
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return exitCodeOf(e);
    }

    private static int handleParameterException(ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        if (cl.getParent() == null) {
            // Unknown or missing command: the usage shows what exists.
            err.println("emend: " + oneLine(e.getMessage()));
            if (e instanceof UnmatchedArgumentException u) {
                UnmatchedArgumentException.printSuggestions(u, err);
            }
            cl.usage(err);
        } else {
            err.println("emend: " + oneLine(e.getMessage()) + " (see '" + cl.getCommandSpec().qualifiedName() + " --help')");
        }
        err.flush();
        return CommandLine.ExitCode.USAGE;
    }

    /** Whether --verbose was given anywhere on the command line of {@code spec}. */
    static boolean verbose(CommandLine.Model.CommandSpec spec) {
        return verbose(spec.root().commandLine().getParseResult());
    }

    static boolean verbose(ParseResult pr) {
        for (ParseResult p = pr; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    private static String oneLine(String s) {
        return s.replace("\r", "").replace('\n', ' ').trim();
    }

    /** The repository root: the {@value #REPO_ROOT_PROPERTY} property, else the working directory. */
    public static Path repoRoot() {
        String p = System.getProperty(REPO_ROOT_PROPERTY);
        return (p == null || p.isBlank() ? Path.of("") : Path.of(p)).toAbsolutePath().normalize();
    }

    /** {@code $EMEND_MODEL_DIR}, else {@code <repo>/models/emend-facts}. */
    static Path defaultModelDir() {
        String env = System.getenv(MODEL_DIR_ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath().normalize();
        }
        return repoRoot().resolve("models").resolve("emend-facts");
    }
}
