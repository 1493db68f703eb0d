package dev.podidentity.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * CI guard on the admission hot path that machine noise cannot flip: {@code fullPath} and
 * {@code floor} are measured on the typical fixture in the same short JMH run, so a slow or busy
 * machine slows both; the guard checks their ratio, not a time. Allocation per admission
 * ({@code gc.alloc.rate.norm}) does not depend on the machine's speed at all.
 *
 * <p>Fails when fullPath takes more than {@link #MAX_FULL_OVER_FLOOR} times the floor on the typical fixture, or
 * allocates more than {@link #MAX_ALLOC_PER_REQUEST_BYTE} bytes per byte of the request (it allocates a little
 * less than the floor itself); the values measured in guard runs are in benchmarks/README.md ("CI guard",
 * "JsonBytes or Jackson"). The time ratio uses each benchmark's best measurement
 * iteration, since noise only ever adds time. A ratio over the limit is measured once more and the
 * better of the two counts: a shared host can be slow for half a minute, a regression is slow in
 * both. Takes about 30 s (60 s when it measures twice). When even the better run's iterations of
 * one benchmark differ by more than {@link #MAX_SPREAD} times, the machine's other load decided the
 * ratio: the time is not judged and the test is reported skipped (allocation is still checked).
 */
class GuardTest {

    static final double MAX_FULL_OVER_FLOOR = 2.0;
    static final double MAX_ALLOC_PER_REQUEST_BYTE = 5.0;
    /** Slowest over fastest measurement iteration of one benchmark past which the machine is too busy. */
    static final double MAX_SPREAD = 1.5;
    static final String FIXTURE = "typical";

    @Test
    void fullPathStaysNearTheFloor() throws Exception {
        Measurement measured = measure();
        System.out.println(measured.report());
        if (measured.ratio() > MAX_FULL_OVER_FLOOR) {
            // A shared host can be slow for half a minute; a real regression is slow every time.
            System.out.println("GUARD: over the limit once; measuring again");
            Measurement again = measure();
            System.out.println(again.report());
            measured = again.ratio() < measured.ratio() ? again : measured;
        }

        assertTrue(measured.allocBytes() <= measured.allocLimit(), "fullPath allocates more than "
                + MAX_ALLOC_PER_REQUEST_BYTE + " x the request per admission" + measured.report());
        // On a machine whose other work comes and goes (a second build, a stress test), the two
        // benchmarks, measured seconds apart, are slowed unequally and their ratio says nothing
        // about the code: that shows as iterations of one benchmark differing by more than
        // MAX_SPREAD. The time is then not judged, and the test reports itself skipped, not passed.
        Assumptions.assumeTrue(measured.spread() <= MAX_SPREAD || measured.ratio() <= MAX_FULL_OVER_FLOOR,
                "GUARD: time ratio not judged, the machine was too busy to measure it: iterations of one "
                        + "benchmark differ by " + String.format(java.util.Locale.ROOT, "%.1f", measured.spread())
                        + "x (limit " + MAX_SPREAD + "x)" + measured.report());
        assertTrue(measured.ratio() <= MAX_FULL_OVER_FLOOR,
                "fullPath is slower than " + MAX_FULL_OVER_FLOOR + " x floor (twice)" + measured.report());
    }

    /** One short JMH run of both benchmarks, and what the guard reads from it. */
    private record Measurement(double ratio, double spread, double allocBytes, double allocLimit, String report) {
    }

    private static Measurement measure() throws Exception {
        // JMH refuses to start while another JMH run holds /tmp/jmh.lock (someone benchmarking on
        // the same machine). The guard compares two benchmarks of the same run, which another run
        // slows alike, so it measures anyway instead of failing the build on the lock.
        System.setProperty("jmh.ignoreLock", "true");
        Options options = new OptionsBuilder()
                .include(AdmissionBenchmarks.class.getName() + "\\.(fullPath|floor)$")
                .param("fixture", FIXTURE)
                .forks(1)
                .warmupIterations(8) // fullPath needs 4-6 s to reach C2 code
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(5)
                .measurementTime(TimeValue.seconds(1))
                .addProfiler(GCProfiler.class)
                .shouldFailOnError(true)
                .build();
        Collection<RunResult> results = new Runner(options).run();

        Map<String, RunResult> byName = new HashMap<>();
        for (RunResult result : results) {
            String label = result.getParams().getBenchmark();
            byName.put(label.substring(label.lastIndexOf('.') + 1), result);
        }
        RunResult full = byName.get("fullPath");
        RunResult floor = byName.get("floor");
        assertTrue(full != null && floor != null, "both benchmarks ran: " + byName.keySet());

        // Noise only ever adds time: compare the best iteration of each, not the means.
        double fullUs = best(full);
        double floorUs = best(floor);
        double ratio = fullUs / floorUs;
        Result<?> alloc = full.getSecondaryResults().get("gc.alloc.rate.norm");
        assertTrue(alloc != null, "gc.alloc.rate.norm measured: " + full.getSecondaryResults().keySet());
        double allocBytes = alloc.getScore();
        int requestBytes = Fixtures.load(FIXTURE).length;
        double allocLimit = MAX_ALLOC_PER_REQUEST_BYTE * requestBytes;

        String report = String.format(java.util.Locale.ROOT,
                "%nGUARD (fixture %s, %d request bytes)%n"
                        + "  fullPath %.2f ± %.2f us/op, floor %.2f ± %.2f us/op (mean ± 99.9%% error)%n"
                        + "  best iteration: fullPath %.2f us/op, floor %.2f us/op%n"
                        + "  fullPath / floor = %.2f (best iterations; limit %.1f); iteration spread %.2f / %.2f%n"
                        + "  fullPath allocation = %.0f B/op = %.2f x request (limit %.1f x = %.0f B/op)%n",
                FIXTURE, requestBytes, full.getPrimaryResult().getScore(), full.getPrimaryResult().getScoreError(),
                floor.getPrimaryResult().getScore(), floor.getPrimaryResult().getScoreError(), fullUs, floorUs, ratio, MAX_FULL_OVER_FLOOR, spread(full), spread(floor), allocBytes,
                allocBytes / requestBytes, MAX_ALLOC_PER_REQUEST_BYTE, allocLimit);
        return new Measurement(ratio, Math.max(spread(full), spread(floor)), allocBytes, allocLimit, report);
    }

    /** The slowest measurement iteration over the fastest. */
    private static double spread(RunResult result) {
        var scores = result.getBenchmarkResults().stream()
                .flatMap(b -> b.getIterationResults().stream())
                .mapToDouble(i -> i.getPrimaryResult().getScore())
                .summaryStatistics();
        return scores.getMax() / scores.getMin();
    }

    private static double best(RunResult result) {
        return result.getBenchmarkResults().stream()
                .flatMap(b -> b.getIterationResults().stream())
                .mapToDouble(i -> i.getPrimaryResult().getScore())
                .min()
                .orElseThrow();
    }
}
