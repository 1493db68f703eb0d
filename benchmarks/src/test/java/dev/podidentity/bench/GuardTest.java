package dev.podidentity.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * <p>Fails when fullPath takes more than {@link #MAX_FULL_OVER_FLOOR} times the floor (measured on the typical
 * fixture: 1.34–1.43×, and 1.1–1.45× on all three; see benchmarks/README.md), or allocates more
 * than {@link #MAX_ALLOC_PER_REQUEST_BYTE} bytes per byte of the request (measured: 3.6× on
 * typical, a little less than the floor itself). The time ratio uses each benchmark's best measurement
 * iteration, since noise only ever adds time. Takes about 40 s.
 */
class GuardTest {

    static final double MAX_FULL_OVER_FLOOR = 2.0;
    static final double MAX_ALLOC_PER_REQUEST_BYTE = 5.0;
    static final String FIXTURE = "typical";

    @Test
    void fullPathStaysNearTheFloor() throws Exception {
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
                        + "  fullPath / floor = %.2f (best iterations; limit %.1f)%n"
                        + "  fullPath allocation = %.0f B/op = %.2f x request (limit %.1f x = %.0f B/op)%n",
                FIXTURE, requestBytes, full.getPrimaryResult().getScore(), full.getPrimaryResult().getScoreError(),
                floor.getPrimaryResult().getScore(), floor.getPrimaryResult().getScoreError(), fullUs, floorUs, ratio, MAX_FULL_OVER_FLOOR, allocBytes,
                allocBytes / requestBytes, MAX_ALLOC_PER_REQUEST_BYTE, allocLimit);
        System.out.println(report);

        assertTrue(ratio <= MAX_FULL_OVER_FLOOR, "fullPath is slower than " + MAX_FULL_OVER_FLOOR + " x floor" + report);
        assertTrue(allocBytes <= allocLimit, "fullPath allocates more than " + MAX_ALLOC_PER_REQUEST_BYTE
                + " x the request per admission" + report);
    }

    private static double best(RunResult result) {
        return result.getBenchmarkResults().stream()
                .flatMap(b -> b.getIterationResults().stream())
                .mapToDouble(i -> i.getPrimaryResult().getScore())
                .min()
                .orElseThrow();
    }
}
