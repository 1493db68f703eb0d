package dev.podidentity;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects what the application logs (the root logger and below), for tests that check that a
 * fault is logged the right way: as a line at the right level, without a stack trace at ERROR.
 *
 * <pre>{@code
 * try (LogCapture log = LogCapture.start()) {
 *     ...
 *     assertEquals(List.of(), log.errors());
 * }
 * }</pre>
 */
public final class LogCapture extends Handler implements AutoCloseable {

    private final List<LogRecord> records = new ArrayList<>();

    private LogCapture() {
        setLevel(Level.ALL);
    }

    public static LogCapture start() {
        LogCapture capture = new LogCapture();
        Logger.getLogger("").addHandler(capture);
        return capture;
    }

    @Override
    public synchronized void publish(LogRecord record) {
        records.add(record);
    }

    /** Every record so far. */
    public synchronized List<LogRecord> records() {
        return List.copyOf(records);
    }

    /** The messages of records at ERROR (SEVERE) or above, with their throwable's class if any. */
    public synchronized List<String> errors() {
        return records.stream().filter(r -> r.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(r -> r.getLoggerName() + ": " + r.getMessage()
                        + (r.getThrown() == null ? "" : " / " + r.getThrown()))
                .toList();
    }

    /** Whether any record's formatted message contains the text. */
    public synchronized boolean contains(String text) {
        return records.stream().anyMatch(r -> message(r).contains(text));
    }

    /** How many records' formatted messages contain the text. */
    public synchronized long count(String text) {
        return records.stream().filter(r -> message(r).contains(text)).count();
    }

    /** The record whose message contains the text, or null. */
    public synchronized LogRecord find(String text) {
        return records.stream().filter(r -> message(r).contains(text)).findFirst().orElse(null);
    }

    private static String message(LogRecord r) {
        String message = r.getMessage();
        Object[] parameters = r.getParameters();
        if (message == null || parameters == null || parameters.length == 0) {
            return String.valueOf(message);
        }
        try {
            return message.contains("%") ? String.format(message, parameters)
                    : java.text.MessageFormat.format(message, parameters);
        } catch (RuntimeException e) {
            return message;
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        Logger.getLogger("").removeHandler(this);
    }
}
