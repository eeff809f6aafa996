package dev.emend.cli.stack;

import java.io.PrintWriter;

/** One progress line on stderr ("  what: 12 s detail"), rewritten in place at most once a second. */
public final class ProgressLine {
    private final PrintWriter err;
    private final String what;
    private final long t0 = System.nanoTime();
    private long lastSecond = -1;
    private String lastDetail = "";
    private boolean printed;

    public ProgressLine(PrintWriter err, String what) {
        this.err = err;
        this.what = what;
    }

    /** Seconds since this line began. */
    public double seconds() {
        return (System.nanoTime() - t0) / 1e9;
    }

    public void tick(String detail) {
        long s = (System.nanoTime() - t0) / 1_000_000_000L;
        if (s != lastSecond || !detail.equals(lastDetail)) {
            lastSecond = s;
            lastDetail = detail;
            err.printf("\r  %s: %d s %s   ", what, s, detail);
            err.flush();
            printed = true;
        }
    }

    /** Ends the line (if anything was printed). */
    public void done() {
        if (printed) {
            err.println();
            err.flush();
            printed = false;
        }
    }
}
