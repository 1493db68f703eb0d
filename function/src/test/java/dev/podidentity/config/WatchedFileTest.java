package dev.podidentity.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A watched file is looked at when its content is asked for, at most once per check interval (a clock of the test's). */
// Contract: docs/contract.md#watched-files
class WatchedFileTest {

    static final Duration INTERVAL = Duration.ofSeconds(1);

    final AtomicLong now = new AtomicLong(42);
    final AtomicInteger reads = new AtomicInteger();

    WatchedFile<String> watching(Path file) {
        return new WatchedFile<>(file, bytes -> {
            reads.incrementAndGet();
            return new String(bytes, StandardCharsets.UTF_8);
        }, "(missing)", INTERVAL, now::get);
    }

    @Test
    void aChangeIsSeenAtTheFirstRequestOnceTheIntervalHasPassedAndNotBefore(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("token"), "one");
        WatchedFile<String> watched = watching(file);
        assertEquals("one", watched.current());

        Files.writeString(file, "two, longer");
        now.addAndGet(INTERVAL.toNanos() - 1);
        assertEquals("one", watched.current(), "within the interval the file is not looked at");

        now.addAndGet(1);
        assertEquals("two, longer", watched.current());
    }

    @Test
    void anUnchangedFileIsNotReadAgain(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("token"), "one");
        WatchedFile<String> watched = watching(file);

        for (int i = 0; i < 5; i++) {
            now.addAndGet(INTERVAL.toNanos());
            assertEquals("one", watched.current());
        }
        assertEquals(1, reads.get(), "parsed once: its path, size and time did not change");
    }
}
