package dev.podidentity;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Waits for what another thread does: polls a condition, failing after a bound meant for a stuck test. */
public final class Eventually {

    private Eventually() {
    }

    /** Returns once {@code condition} holds; fails with {@code what} if it does not within a minute. */
    public static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); // a bound for a stuck test, not a timing
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.sleep(5);
        }
    }
}
