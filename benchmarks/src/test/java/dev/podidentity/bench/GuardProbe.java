package dev.podidentity.bench;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;

/**
 * The measurement behind {@link GuardTest}, in a JVM of its own (no other test's code in its
 * profiles): {@code mutationCore}, {@code fullPath} and {@code floor} of {@link AdmissionBenchmarks}
 * on one fixture, interleaved in rounds — floor, core, full path, floor — each batch timed by the
 * CPU time of the measuring thread. Every round thus compares the three under the same conditions,
 * and what other processes do to the machine enters no batch's time (only what they do to its
 * caches): on a shared 2-core machine, wall time per operation varied 2x between runs minutes apart,
 * and so did ratios of benchmarks measured one after the other.
 *
 * <pre>{@code
 * java -cp <test class path> dev.podidentity.bench.GuardProbe typical
 * }</pre>
 *
 * <p>Prints one line, {@code GUARD-PROBE} and then {@code name=value} pairs: per round the ratios
 * {@code core/floor} and {@code full/floor}, their median and quartiles, the median CPU µs per
 * operation of each benchmark, and the bytes {@code fullPath} allocates per operation.
 */
public final class GuardProbe {

    /** Batches of about this much CPU time each. */
    static final long BATCH_NANOS = 10_000_000L;
    /** CPU time spent running the three before measuring, for the JIT's optimised code. */
    static final long WARM_UP_NANOS = 8_000_000_000L;
    static final int ROUNDS = 150;

    static volatile long sink;

    private GuardProbe() {
    }

    @FunctionalInterface
    interface Op {
        byte[] run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        String fixture = args.length > 0 ? args[0] : "typical";
        AdmissionBenchmarks bench = new AdmissionBenchmarks();
        bench.fixture = fixture;
        bench.setUp();
        try {
            System.out.println(measure(bench));
        } finally {
            bench.tearDown();
        }
    }

    static String measure(AdmissionBenchmarks bench) throws Exception {
        Op core = bench::mutationCore;
        Op full = bench::fullPath;
        Op floor = bench::floor;
        long warmUntil = cpuNanos() + WARM_UP_NANOS;
        while (cpuNanos() < warmUntil) {
            batch(floor, 100);
            batch(core, 100);
            batch(full, 100);
        }
        int floorOps = opsPerBatch(floor);
        int coreOps = opsPerBatch(core);
        int fullOps = opsPerBatch(full);

        double[] coreRatio = new double[ROUNDS];
        double[] fullRatio = new double[ROUNDS];
        double[] coreUs = new double[ROUNDS];
        double[] fullUs = new double[ROUNDS];
        double[] floorUs = new double[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            double floorBefore = batch(floor, floorOps);
            coreUs[r] = batch(core, coreOps);
            fullUs[r] = batch(full, fullOps);
            double floorAfter = batch(floor, floorOps);
            floorUs[r] = (floorBefore + floorAfter) / 2;
            coreRatio[r] = coreUs[r] / floorUs[r];
            fullRatio[r] = fullUs[r] / floorUs[r];
        }
        double allocated = allocatedPerOp(full, fullOps);

        StringBuilder line = new StringBuilder("GUARD-PROBE");
        put(line, "rounds", ROUNDS);
        quartiles(line, "core/floor", coreRatio);
        quartiles(line, "full/floor", fullRatio);
        put(line, "core.us", median(coreUs));
        put(line, "full.us", median(fullUs));
        put(line, "floor.us", median(floorUs));
        put(line, "full.alloc.bytes", allocated);
        return line.toString();
    }

    /** CPU µs per operation of one batch of {@code ops} operations. */
    static double batch(Op op, int ops) throws Exception {
        long started = cpuNanos();
        long consumed = 0;
        for (int i = 0; i < ops; i++) {
            consumed += op.run().length; // used, so that the JIT cannot drop the work
        }
        long spent = cpuNanos() - started;
        sink += consumed;
        return spent / 1_000.0 / ops;
    }

    static int opsPerBatch(Op op) throws Exception {
        double microsPerOp = batch(op, 200);
        return (int) Math.max(50, Math.min(100_000, BATCH_NANOS / 1_000.0 / microsPerOp));
    }

    static double allocatedPerOp(Op op, int ops) throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        long consumed = 0;
        for (int i = 0; i < ops; i++) {
            consumed += op.run().length;
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        sink += consumed;
        return (double) allocated / ops;
    }

    static long cpuNanos() {
        return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    }

    static void quartiles(StringBuilder line, String name, double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        put(line, name + ".p25", sorted[sorted.length / 4]);
        put(line, name + ".median", sorted[sorted.length / 2]);
        put(line, name + ".p75", sorted[sorted.length * 3 / 4]);
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    static void put(StringBuilder line, String name, double value) {
        line.append(' ').append(name).append('=').append(String.format(Locale.ROOT, "%.4f", value));
    }
}
