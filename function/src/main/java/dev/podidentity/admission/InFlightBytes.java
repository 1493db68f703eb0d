package dev.podidentity.admission;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * How many bytes of requests and large patches the admissions in flight may hold at once, shared
 * by every cluster as the heap is, and shared fairly: one cluster holds at most its own cap, so a
 * cluster that sends too much, or holds slow bodies, leaves room for the others. An admission that
 * does not fit waits for room, holding nothing but its headers; room is given to the waiting
 * clusters in turn, oldest first within each.
 *
 * <pre>{@code
 * InFlightBytes inFlight = InFlightBytes.of(8 << 20, 2 << 20);
 * long weight = InFlightBytes.weightOf(contentLength);
 * InFlightBytes.Ticket ticket = inFlight.reserve("prod-eu", weight, reserved -> {
 *     if (reserved) {
 *         inFlight.release("prod-eu", weight); // once answered
 *     }
 * });
 * ticket.cancel(); // waited long enough: refused, unless it was given room meanwhile
 * }</pre>
 *
 * <p>An admission holds several times its body in heap while it is read into a pod view (most for
 * a body of nothing but empty containers), so the default is sized to keep that worst case well
 * inside the shipped heap, while ordinary admissions of a few kilobytes weigh {@link #MIN_WEIGHT}
 * each and hundreds fit at once; {@code AdmissionHeapTest} checks that the shipped heap survives the
 * worst reviews. A large patch takes its bytes from the pool without a cluster's share and without
 * waiting ({@link #tryReserve(long)}).
 */
public final class InFlightBytes {

    /** What the smallest admission weighs: its threads, buffers and answer are not free. */
    public static final long MIN_WEIGHT = 16 * 1024;

    private final long maxBytes;
    private final long perCluster;
    /** What may be reserved now: {@code maxBytes}, or less while the heap has less room ({@link #limit}). */
    private long capacity;
    private long reserved;
    /** Bytes each cluster holds now; a cluster holding none has no entry. */
    private final Map<String, Long> held = new HashMap<>();
    /** The clusters with admissions waiting, in the order they are given room. */
    private final LinkedHashMap<String, ArrayDeque<Waiting>> waiting = new LinkedHashMap<>();

    /** A reservation, waiting or decided. */
    public interface Ticket {
        /**
         * Decides a waiting reservation as refused (its outcome is told {@code false}).
         *
         * @return false when it had been decided already
         */
        boolean cancel();

        /** Whether it was queued rather than decided at once (it may have been decided since). */
        default boolean queued() {
            return true;
        }
    }

    private final class Waiting implements Ticket {
        final String cluster;
        final long weight;
        final Consumer<Boolean> outcome;
        boolean decided;

        Waiting(String cluster, long weight, Consumer<Boolean> outcome) {
            this.cluster = cluster;
            this.weight = weight;
            this.outcome = outcome;
        }

        @Override
        public boolean cancel() {
            synchronized (InFlightBytes.this) {
                if (decided) {
                    return false;
                }
                decided = true;
                ArrayDeque<Waiting> queue = waiting.get(cluster);
                queue.remove(this);
                if (queue.isEmpty()) {
                    waiting.remove(cluster);
                }
            }
            outcome.accept(false);
            return true;
        }
    }

    private static final Ticket DECIDED = new Ticket() {
        @Override
        public boolean cancel() {
            return false;
        }

        @Override
        public boolean queued() {
            return false;
        }
    };

    private InFlightBytes(long maxBytes, long perCluster) {
        this.maxBytes = maxBytes;
        this.perCluster = perCluster;
        this.capacity = maxBytes;
    }

    /**
     * @param maxBytes the most bytes reserved at once; at least {@link #MIN_WEIGHT}
     */
    public static InFlightBytes of(long maxBytes) {
        return of(maxBytes, maxBytes);
    }

    /**
     * @param maxBytes the most bytes reserved at once, by every cluster; at least {@link #MIN_WEIGHT}
     * @param perCluster the most one cluster holds at once; between {@link #MIN_WEIGHT} and {@code maxBytes}
     */
    public static InFlightBytes of(long maxBytes, long perCluster) {
        if (maxBytes < MIN_WEIGHT) {
            throw new IllegalArgumentException("max in-flight bytes must be at least " + MIN_WEIGHT + ", was "
                    + maxBytes);
        }
        if (perCluster < MIN_WEIGHT || perCluster > maxBytes) {
            throw new IllegalArgumentException("max in-flight bytes per cluster must be between " + MIN_WEIGHT
                    + " and max in-flight bytes (" + maxBytes + "), was " + perCluster);
        }
        return new InFlightBytes(maxBytes, perCluster);
    }

    /** The weight of a request of that many body bytes (or of a patch of that many bytes). */
    public static long weightOf(long bytes) {
        return Math.max(MIN_WEIGHT, bytes);
    }

    /**
     * Reserves the weight for a cluster now if it fits (within the cluster's cap, and no older
     * admission of the cluster waits), else queues it until it fits or is {@linkplain Ticket#cancel
     * cancelled}. A cluster whose waiting admissions already weigh as much as the whole pool is
     * refused at once: waiting costs only headers, but not without bound.
     *
     * @param outcome told once: true when reserved (give it back with {@link #release(String, long)}),
     *     false when refused; on the calling thread when decided at once, else on the thread that
     *     made room or cancelled
     */
    public Ticket reserve(String cluster, long weight, Consumer<Boolean> outcome) {
        long bytes = Math.min(weight, perCluster);
        boolean reserved;
        synchronized (this) {
            ArrayDeque<Waiting> queue = waiting.get(cluster);
            if (takeNow(cluster, bytes)) {
                reserved = true;
            } else if (queuedBytes(queue) + bytes <= maxBytes) {
                Waiting ticket = new Waiting(cluster, bytes, outcome);
                waiting.computeIfAbsent(cluster, c -> new ArrayDeque<>()).add(ticket);
                return ticket;
            } else {
                reserved = false;
            }
        }
        outcome.accept(reserved);
        return DECIDED;
    }

    /**
     * Reserves the weight for a cluster if it fits now (within the cluster's cap, and no admission
     * of the cluster waits), and never waits.
     *
     * @return true when reserved: give it back with {@link #release(String, long)}
     */
    public boolean tryReserve(String cluster, long weight) {
        long bytes = Math.min(weight, perCluster);
        synchronized (this) {
            return takeNow(cluster, bytes);
        }
    }

    /** Gives back what {@link #reserve} reserved for the cluster, and gives room to those waiting. */
    public void release(String cluster, long weight) {
        long bytes = Math.min(weight, perCluster);
        List<Waiting> granted;
        synchronized (this) {
            long left = held.getOrDefault(cluster, 0L) - bytes;
            if (left > 0) {
                held.put(cluster, left);
            } else {
                held.remove(cluster);
            }
            reserved -= bytes;
            granted = grant();
        }
        granted.forEach(ticket -> ticket.outcome.accept(true));
    }

    /** Reserves from the pool, without a cluster's share, if it fits now; never waits. */
    public boolean tryReserve(long weight) {
        long bytes = Math.min(weight, maxBytes);
        synchronized (this) {
            if (reserved + bytes > capacity) {
                return false;
            }
            reserved += bytes;
            return true;
        }
    }

    /** Gives back what {@link #tryReserve} reserved, and gives room to those waiting. */
    public void release(long weight) {
        List<Waiting> granted;
        synchronized (this) {
            reserved -= Math.min(weight, maxBytes);
            granted = grant();
        }
        granted.forEach(ticket -> ticket.outcome.accept(true));
    }

    /** The bytes free in the pool now. */
    public synchronized long available() {
        return Math.max(0, capacity - reserved);
    }

    /**
     * Limits what may be reserved to {@code bytes} (at most {@code maxBytes}, at least one
     * admission's weight), while the heap has less room than the budget assumes; what is reserved
     * already stays until it is given back.
     */
    public void limit(long bytes) {
        List<Waiting> granted;
        synchronized (this) {
            capacity = Math.max(MIN_WEIGHT, Math.min(bytes, maxBytes));
            granted = grant();
        }
        granted.forEach(ticket -> ticket.outcome.accept(true));
    }

    /** What may be reserved now, all clusters together. */
    public synchronized long capacity() {
        return capacity;
    }

    /** The bytes a cluster holds now. */
    public synchronized long held(String cluster) {
        return held.getOrDefault(cluster, 0L);
    }

    public long maxBytes() {
        return maxBytes;
    }

    public long perCluster() {
        return perCluster;
    }

    /** Takes the bytes for the cluster if they fit and none of its admissions waits; the lock is held. */
    private boolean takeNow(String cluster, long bytes) {
        if (waiting.containsKey(cluster) || !fits(cluster, bytes)) {
            return false;
        }
        take(cluster, bytes);
        return true;
    }

    private boolean fits(String cluster, long bytes) {
        return reserved + bytes <= capacity && held.getOrDefault(cluster, 0L) + bytes <= perCluster;
    }

    private void take(String cluster, long bytes) {
        reserved += bytes;
        held.merge(cluster, bytes, Long::sum);
    }

    private static long queuedBytes(ArrayDeque<Waiting> queue) {
        long bytes = 0;
        if (queue != null) {
            for (Waiting ticket : queue) {
                bytes += ticket.weight;
            }
        }
        return bytes;
    }

    /**
     * Gives room to waiting admissions, one per cluster in turn, the oldest of each, until no
     * cluster's next one fits; a cluster given room goes to the back of the line.
     */
    private List<Waiting> grant() {
        List<Waiting> granted = new ArrayList<>();
        boolean progress = true;
        while (progress && !waiting.isEmpty()) {
            progress = false;
            List<Map.Entry<String, ArrayDeque<Waiting>>> backOfLine = new ArrayList<>();
            for (Iterator<Map.Entry<String, ArrayDeque<Waiting>>> turns = waiting.entrySet().iterator();
                    turns.hasNext();) {
                Map.Entry<String, ArrayDeque<Waiting>> turn = turns.next();
                Waiting next = turn.getValue().peek();
                if (!fits(turn.getKey(), next.weight)) {
                    continue;
                }
                turn.getValue().poll();
                next.decided = true;
                take(turn.getKey(), next.weight);
                granted.add(next);
                progress = true;
                turns.remove();
                if (!turn.getValue().isEmpty()) {
                    backOfLine.add(turn);
                }
            }
            backOfLine.forEach(turn -> waiting.put(turn.getKey(), turn.getValue()));
        }
        return granted;
    }
}
