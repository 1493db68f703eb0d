package dev.podidentity.admission;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.logging.ErrorManager;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Prints each decision line to standard output in one write call of the whole line, newline
 * included, then flushes it. A console handler encodes and writes through buffers that may hand a
 * long line to the stream in pieces, so under load other log lines ended up inside decision lines
 * (16 of 6,302 in one run). A line of at most {@link DecisionLog#MAX_LINE_BYTES} bytes written and
 * flushed at once leaves the process in one system call, and a pipe takes up to 4,096 bytes
 * atomically.
 *
 * <pre>{@code
 * DecisionLineHandler.install(Logger.getLogger(DecisionLog.CATEGORY)); // once; idempotent
 * }</pre>
 */
public final class DecisionLineHandler extends Handler {

    private final OutputStream out;

    /** @param out the stream, unbuffered: each line is handed to it in one call */
    public DecisionLineHandler(OutputStream out) {
        this.out = out;
    }

    /**
     * Makes the handler the logger's only output, unless one is there already (each application
     * start in one JVM constructs decision logs anew; the class may come from another class loader).
     */
    public static synchronized void install(Logger logger) {
        for (Handler handler : logger.getHandlers()) {
            if (handler.getClass().getName().equals(DecisionLineHandler.class.getName())) {
                return;
            }
        }
        // System.out, whose buffer (8 KiB, more than a line) is flushed after each line: the line goes
        // out in one system call, and writers of System.out hold its lock while they write.
        logger.addHandler(new DecisionLineHandler(System.out));
        logger.setUseParentHandlers(false);
    }

    @Override
    public void publish(LogRecord record) {
        if (record == null || !isLoggable(record)) {
            return;
        }
        String message = record.getMessage();
        byte[] text = (message == null ? "" : message).getBytes(StandardCharsets.UTF_8);
        byte[] line = new byte[text.length + 1];
        System.arraycopy(text, 0, line, 0, text.length);
        line[text.length] = '\n';
        try {
            synchronized (this) {
                out.write(line, 0, line.length);
                out.flush();
            }
        } catch (IOException e) {
            reportError("cannot write a decision line", e, ErrorManager.WRITE_FAILURE);
        }
    }

    @Override
    public void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            reportError("cannot flush decision lines", e, ErrorManager.FLUSH_FAILURE);
        }
    }

    @Override
    public void close() {
        flush();
    }
}
