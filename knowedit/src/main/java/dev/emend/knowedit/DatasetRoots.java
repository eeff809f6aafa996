package dev.emend.knowedit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Confines data set paths that a service is sent to configured directories: evaluation-service's
 * data sets and a phase service's training splits. A path is resolved against {@code base} and
 * normalised (so {@code ..} cannot climb out) and checked lexically before anything of it is
 * touched; only then is it resolved on disk, and its real path (every symbolic link followed) must
 * still lie in a directory's real path. Refusals are {@link Refused} with a {@link Refusal} kind the
 * service maps to its status (outside: PERMISSION_DENIED, missing: NOT_FOUND, malformed:
 * INVALID_ARGUMENT); their message starts with the field and says what to do.
 */
public final class DatasetRoots {
    /** Why a path was refused. */
    public enum Refusal { MALFORMED, NOT_FOUND, OUTSIDE }

    /** A refused path. */
    public static final class Refused extends RuntimeException {
        private final Refusal kind;

        Refused(Refusal kind, String message) {
            super(message);
            this.kind = kind;
        }

        public Refusal kind() {
            return kind;
        }
    }

    private final Path base;
    private final List<Path> roots = new ArrayList<>();
    private final String setting;

    /**
     * @param base    what relative paths (and relative directories) are resolved against
     * @param dirs    the allowed directories
     * @param setting the configuration key that lists them, for messages
     */
    public DatasetRoots(Path base, List<String> dirs, String setting) {
        this.base = base.toAbsolutePath().normalize();
        this.setting = setting;
        for (String d : dirs) {
            if (!d.isBlank()) {
                roots.add(this.base.resolve(d.strip()).normalize());
            }
        }
    }

    /** The allowed directories, absolute and normalised (not necessarily existing). */
    public List<Path> roots() {
        return List.copyOf(roots);
    }

    /**
     * The real file {@code given} names if it lies in an allowed directory; otherwise {@link Refused}.
     * {@code field} names the request field in messages; {@code instead} is appended to the
     * refusal of a path outside the directories (what the caller can do instead, may be empty).
     */
    public Path resolve(String given, String field, String instead) {
        if (given.indexOf('\0') >= 0) {
            throw new Refused(Refusal.MALFORMED, field + ": contains the NUL character; give a file path");
        }
        Path file;
        try {
            file = base.resolve(given).normalize();
        } catch (InvalidPathException e) {
            throw new Refused(Refusal.MALFORMED, field + ": '" + given + "' is not a valid path: " + e.getReason());
        }
        if (roots.stream().noneMatch(file::startsWith)) {
            throw outside(given, field, instead);
        }
        Path real;
        try {
            real = file.toRealPath();
        } catch (NoSuchFileException e) {
            throw new Refused(Refusal.NOT_FOUND, field + ": " + file + " does not exist (relative paths are read from "
                    + base + ")");
        } catch (IOException e) {
            throw new Refused(Refusal.MALFORMED, field + ": cannot resolve " + file + ": " + e.getMessage());
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
            throw outside(given, field, instead);
        }
        if (!Files.isRegularFile(real)) {
            throw new Refused(Refusal.MALFORMED, field + ": " + file + " is not a regular file");
        }
        return real;
    }

    private Refused outside(String given, String field, String instead) {
        return new Refused(Refusal.OUTSIDE, field + ": '" + given + "' is outside the data set directories " + roots
                + " (" + setting + ")" + (instead.isEmpty() ? "; put the file in one of them" : "; put the file in one of them, "
                + instead));
    }
}
