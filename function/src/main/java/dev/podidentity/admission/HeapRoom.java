package dev.podidentity.admission;

import org.jboss.logging.Logger;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.function.LongSupplier;

/**
 * Keeps the in-flight budget within what the heap can hold. What stays live after a collection of
 * the heap's oldest generation — the clusters' clients and caches, above all — leaves the rest of
 * the heap to the admissions in flight, each of which may take up to {@value #EXPANSION} times its
 * weight while its body is read; the budget is limited to what fits there, and given back as the
 * heap frees up. Without it, enough clusters in use and a burst of admissions together could run the
 * heap out.
 *
 * <pre>{@code
 * InFlightBytes inFlight = InFlightBytes.of(8 << 20, 6 << 20);
 * HeapRoom room = HeapRoom.of(inFlight);
 * room.check(); // every few seconds
 * }</pre>
 */
public final class HeapRoom {

    private static final Logger LOG = Logger.getLogger(HeapRoom.class);

    /** What reading an admission may take in heap, as a multiple of its weight (docs/contract.md#limits). */
    static final int EXPANSION = 16;

    private final InFlightBytes budget;
    private final long maxHeap;
    private final LongSupplier liveAfterCollection;
    private long lastLimit;

    HeapRoom(InFlightBytes budget, long maxHeap, LongSupplier liveAfterCollection) {
        this.budget = budget;
        this.maxHeap = maxHeap;
        this.liveAfterCollection = liveAfterCollection;
        this.lastLimit = budget.maxBytes();
    }

    /**
     * The room of this JVM's heap, read from its oldest generation's pool ("Tenured Gen", "G1 Old
     * Gen", …): its usage after its most recent collection.
     */
    public static HeapRoom of(InFlightBytes budget) {
        MemoryPoolMXBean oldest = null;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.isCollectionUsageThresholdSupported()
                    && (pool.getName().contains("Old") || pool.getName().contains("Tenured"))) {
                oldest = pool;
            }
        }
        MemoryPoolMXBean watched = oldest;
        return new HeapRoom(budget, Runtime.getRuntime().maxMemory(), () -> {
            MemoryUsage usage = watched == null ? null : watched.getCollectionUsage();
            return usage == null ? 0 : usage.getUsed();
        });
    }

    /**
     * Limits the budget to what fits beside what stayed live after the last collection, keeping an
     * eighth of the heap for everything else; before any collection, the budget is left as it is.
     */
    public void check() {
        long live = liveAfterCollection.getAsLong();
        if (live <= 0) {
            return;
        }
        long room = maxHeap - live - maxHeap / 8;
        long limit = Math.max(InFlightBytes.MIN_WEIGHT, Math.min(budget.maxBytes(), room / EXPANSION));
        if (limit != lastLimit) {
            LOG.infof("in-flight budget now %d KiB of %d: %d MiB of the %d MiB heap stayed live after its last"
                    + " collection", limit / 1024, budget.maxBytes() / 1024, live >> 20, maxHeap >> 20);
            lastLimit = limit;
        }
        budget.limit(limit);
    }
}
