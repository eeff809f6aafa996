package dev.emend.evaluation.service;

import dev.emend.knowedit.DatasetRoots;
import io.grpc.Status;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.file.Path;
import java.util.List;

/**
 * Confines data set paths to the configured directories ({@code emend.evaluation.dataset-dirs},
 * relative ones resolved against {@code emend.evaluation.data-dir}) with knowedit's
 * {@link DatasetRoots} (lexical check first, then the real path, symbolic links followed). Outside
 * is PERMISSION_DENIED, a missing file NOT_FOUND, a malformed path INVALID_ARGUMENT.
 */
@ApplicationScoped
public class DatasetPaths {
    @ConfigProperty(name = "emend.evaluation.data-dir")
    String dataDir;

    @ConfigProperty(name = "emend.evaluation.dataset-dirs")
    List<String> datasetDirs;

    private DatasetRoots roots() {
        return new DatasetRoots(Path.of(dataDir), datasetDirs, "emend.evaluation.dataset-dirs");
    }

    /** The real file {@code given} names, if it lies in a dataset directory; otherwise a {@link RunRejected}. */
    public Path resolve(String given) {
        try {
            return roots().resolve(given, "dataset.path", "or send its content (dataset.content) or inline cases instead");
        } catch (DatasetRoots.Refused e) {
            throw new RunRejected(switch (e.kind()) {
                case OUTSIDE -> Status.Code.PERMISSION_DENIED;
                case NOT_FOUND -> Status.Code.NOT_FOUND;
                case MALFORMED -> Status.Code.INVALID_ARGUMENT;
            }, e.getMessage());
        }
    }
}
