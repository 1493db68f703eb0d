package dev.podidentity.admission;

import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each decision line reaches the stream in one write call, whole, so no other output can split it. */
// Contract: docs/contract.md#decision-log
class DecisionLineHandlerTest {

    /** Records every write call as the bytes it was given; a flush between two writes is not a split. */
    static final class Writes extends OutputStream {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void write(int b) {
            calls.add(new String(new byte[] {(byte) b}, StandardCharsets.UTF_8));
        }

        @Override
        public void write(byte[] b, int off, int len) {
            calls.add(new String(b, off, len, StandardCharsets.UTF_8));
        }
    }

    @Test
    void eachLineIsOneWriteOfTheWholeLine() throws Exception {
        Writes out = new Writes();
        DecisionLineHandler handler = new DecisionLineHandler(out);
        int threads = 8;
        int perThread = 200;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String line = "{\"thread\":" + t + ",\"pad\":\"" + "é".repeat(1500) + "\"}";
            running.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                for (int i = 0; i < perThread; i++) {
                    handler.publish(new LogRecord(Level.INFO, line));
                }
            }));
        }
        start.countDown();
        for (Thread thread : running) {
            thread.join();
        }

        assertEquals(threads * perThread, out.calls.size());
        for (String call : out.calls) {
            assertTrue(call.startsWith("{\"thread\":") && call.endsWith("\"}\n") && call.indexOf('\n') == call.length() - 1,
                    call.substring(0, 20));
        }
    }
}
