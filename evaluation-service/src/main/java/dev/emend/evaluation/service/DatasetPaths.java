package dev.emend.evaluation.service;

import io.grpc.Status;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Confines data set paths to the configured directories ({@code emend.evaluation.dataset-dirs},
 * relative ones resolved against {@code emend.evaluation.data-dir}). A path is first normalised
 * (so {@code ..} cannot climb out) and checked lexically, before anything of it is touched; only
 * then is it resolved on disk, and its real path (every symbolic link followed) must still lie in
 * a directory's real path. Anything else is PERMISSION_DENIED; a malformed path INVALID_ARGUMENT.
 */
@ApplicationScoped
public class DatasetPaths {
    @ConfigProperty(name = "emend.evaluation.data-dir")
    String dataDir;

    @ConfigProperty(name = "emend.evaluation.dataset-dirs")
    List<String> datasetDirs;

    /** The configured directories, absolute and normalised (not necessarily existing). */
    public List<Path> roots() {
        Path base = base();
        List<Path> out = new ArrayList<>();
        for (String d : datasetDirs) {
            if (!d.isBlank()) {
                out.add(base.resolve(d.strip()).normalize());
            }
        }
        return out;
    }

    private Path base() {
        return Path.of(dataDir).toAbsolutePath().normalize();
    }

    /** The real file {@code given} names, if it lies in a dataset directory; otherwise a {@link RunRejected}. */
    public Path resolve(String given) {
        if (given.indexOf('\0') >= 0) {
            throw RunRejected.invalid("dataset.path", "contains the NUL character; give a file path");
        }
        Path file;
        try {
            file = base().resolve(given).normalize();
        } catch (InvalidPathException e) {
            throw RunRejected.invalid("dataset.path", "'" + given + "' is not a valid path: " + e.getReason());
        }
        List<Path> roots = roots();
        if (roots.stream().noneMatch(file::startsWith)) {
            throw outside(given, roots);
        }
        Path real;
        try {
            real = file.toRealPath();
        } catch (NoSuchFileException e) {
            throw new RunRejected(Status.Code.NOT_FOUND, "dataset.path: " + file + " does not exist (relative paths are "
                    + "read from " + base() + ")");
        } catch (IOException e) {
            throw RunRejected.invalid("dataset.path", "cannot resolve " + file + ": " + e.getMessage());
        }
        boolean inside = false;
        for (Path root : roots) {
            try {
                inside |= real.startsWith(root.toRealPath());
            } catch (IOException e) {
                // a configured directory that does not exist holds nothing
            }
        }
        if (!inside) {
            throw outside(given, roots);
        }
        if (!Files.isRegularFile(real)) {
            throw RunRejected.invalid("dataset.path", file + " is not a regular file");
        }
        return real;
    }

    private static RunRejected outside(String given, List<Path> roots) {
        return new RunRejected(Status.Code.PERMISSION_DENIED, "dataset.path: '" + given + "' is outside the data set "
                + "directories " + roots + " (emend.evaluation.dataset-dirs); put the file in one of them, or send its "
                + "content (dataset.content) or inline cases instead");
    }
}
