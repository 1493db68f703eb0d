package dev.podidentity.serviceaccount;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many calls to one cluster's API server may be in flight, and how many more may wait for
 * one of them to end; any call past both is refused at once. A slow API server then costs a
 * bounded number of threads instead of one per admission (a function driven past saturation
 * against a slow API server once held more than 2,700 lookup threads and ran out of heap).
 *
 * <pre>{@code
 * LookupBulkhead bulkhead = LookupBulkhead.of(16, 64, Duration.ofSeconds(3));
 * if (bulkhead.enter()) {
 *     try {
 *         // the API call
 *     } finally {
 *         bulkhead.exit();
 *     }
 * } else {
 *     // refused: answer from the cache, or as on-lookup-failure says
 * }
 * }</pre>
 *
 * <p>A burst of pods for many new ServiceAccounts (a scale from zero) waits its turn in the queue
 * instead of being refused; only a queue that stays full, that is an API server slower than the
 * demand, sheds calls. Only calls that miss the cache come here: cached answers pay nothing.
 */
public final class LookupBulkhead {

    private final Semaphore calls;
    private final AtomicInteger waiting = new AtomicInteger();
    private final int maxConcurrent;
    private final int maxQueued;
    private final long maxWaitNanos;

    private LookupBulkhead(int maxConcurrent, int maxQueued, Duration maxWait) {
        this.calls = new Semaphore(maxConcurrent);
        this.maxConcurrent = maxConcurrent;
        this.maxQueued = maxQueued;
        this.maxWaitNanos = maxWait.toNanos();
    }

    /**
     * @param maxConcurrent calls in flight at once, at least 1
     * @param maxQueued calls waiting for one of those, at least 0
     * @param maxWait the longest a call waits in the queue before it is refused
     */
    public static LookupBulkhead of(int maxConcurrent, int maxQueued, Duration maxWait) {
        if (maxConcurrent < 1 || maxQueued < 0) {
            throw new IllegalArgumentException("a lookup bulkhead needs max-concurrent >= 1 and max-queued >= 0, was "
                    + maxConcurrent + " and " + maxQueued);
        }
        if (maxWait == null || maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait must not be negative, was " + maxWait);
        }
        return new LookupBulkhead(maxConcurrent, maxQueued, maxWait);
    }

    /**
     * Enters if a call may start now, or after waiting in the queue if there is room in it.
     *
     * @return false when the call must not be made: refused, not failed
     */
    public boolean enter() {
        if (calls.tryAcquire()) {
            return true;
        }
        if (waiting.incrementAndGet() > maxQueued) {
            waiting.decrementAndGet();
            return false;
        }
        try {
            return calls.tryAcquire(maxWaitNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            waiting.decrementAndGet();
        }
    }

    /** Ends a call that {@link #enter} let in. */
    public void exit() {
        calls.release();
    }

    public int maxConcurrent() {
        return maxConcurrent;
    }

    public int maxQueued() {
        return maxQueued;
    }

    /** Calls in flight now. */
    public int inFlight() {
        return maxConcurrent - calls.availablePermits();
    }
}
