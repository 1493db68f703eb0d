package dev.podidentity.admission;

import java.util.concurrent.Semaphore;

/**
 * How many bytes of requests and large patches the admissions in flight may hold at once, shared
 * by every cluster as the heap is: an admission reserves its weight before it reads its body, a
 * large patch before it is written, and what does not fit is answered at once instead of queued.
 *
 * <pre>{@code
 * InFlightBytes inFlight = InFlightBytes.of(8 * 1024 * 1024);
 * long weight = InFlightBytes.weightOf(contentLength);
 * if (inFlight.tryReserve(weight)) {
 *     try { ... } finally { inFlight.release(weight); }
 * } else {
 *     // 429: too busy
 * }
 * }</pre>
 *
 * <p>An admission holds several times its body in heap while it is read into a pod view (most for
 * a body of nothing but empty containers), so the default is sized to keep that worst case well
 * inside the shipped heap, while ordinary admissions of a few kilobytes weigh {@link #MIN_WEIGHT}
 * each and hundreds fit at once. The measured ratio and what it implies are in README.md ("Speed
 * and reliability", "Never falls over"); {@code AdmissionHeapTest} checks that the shipped heap
 * survives the worst reviews. One semaphore acquire and release per admission: nothing else on the
 * hot path.
 */
public final class InFlightBytes {

    /** What the smallest admission weighs: its threads, buffers and answer are not free. */
    public static final long MIN_WEIGHT = 16 * 1024;
    private static final int UNIT = 1024; // permits are KiB, so that any size fits an int

    private final Semaphore permits;
    private final long maxBytes;

    private InFlightBytes(long maxBytes) {
        this.maxBytes = maxBytes;
        this.permits = new Semaphore(units(maxBytes));
    }

    /**
     * @param maxBytes the most bytes reserved at once; at least {@link #MIN_WEIGHT}
     */
    public static InFlightBytes of(long maxBytes) {
        if (maxBytes < MIN_WEIGHT || maxBytes / UNIT > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("max in-flight bytes must be between " + MIN_WEIGHT + " and 2 TiB, was "
                    + maxBytes);
        }
        return new InFlightBytes(maxBytes);
    }

    /** The weight of a request of that many body bytes (or of a patch of that many bytes). */
    public static long weightOf(long bytes) {
        return Math.max(MIN_WEIGHT, bytes);
    }

    /** Reserves the weight if it fits now; never waits. */
    public boolean tryReserve(long weight) {
        return permits.tryAcquire(units(Math.min(weight, maxBytes)));
    }

    /** Gives back what {@link #tryReserve} reserved. */
    public void release(long weight) {
        permits.release(units(Math.min(weight, maxBytes)));
    }

    /** The bytes still free, for tests and metrics. */
    public long available() {
        return (long) permits.availablePermits() * UNIT;
    }

    public long maxBytes() {
        return maxBytes;
    }

    private static int units(long bytes) {
        return (int) ((bytes + UNIT - 1) / UNIT);
    }
}
