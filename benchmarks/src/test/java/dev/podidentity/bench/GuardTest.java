package dev.podidentity.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * CI guard on the admission hot path that machine noise cannot flip: {@code mutationCore},
 * {@code fullPath} and {@code floor} of {@link AdmissionBenchmarks} are measured interleaved, in
 * the CPU time of the measuring thread ({@link GuardProbe}), so that a slow or busy machine slows
 * them alike; the guard checks their ratios, not times. Allocation per admission does not depend
 * on the machine's speed at all.
 *
 * <p>Fails when, on the typical fixture,
 * <ul>
 *   <li>{@code mutationCore} (PodMutator and the patch writer) takes more than
 *       {@link #MAX_CORE_OVER_FLOOR} times the floor, the median over the rounds: a core 1.5 times
 *       slower than today's fails (the core is a quarter of the full path, so only its own ratio
 *       sees it slow down by half);</li>
 *   <li>{@code fullPath} takes more than {@link #MAX_FULL_OVER_FLOOR} times the floor;</li>
 *   <li>{@code fullPath} allocates more than {@link #MAX_ALLOC_PER_REQUEST_BYTE} bytes per byte of
 *       the request (it allocates a little less than the floor itself);</li>
 *   <li>the machine was too busy to judge: the rounds' ratios spread more than {@link #MAX_SPREAD}
 *       times (third quartile over first), in each of two measurements.</li>
 * </ul>
 * A measurement that is that noisy, or over a limit, is made once more and the better of the two
 * counts: a shared host can be busy for half a minute, a regression is slow in both. Takes about
 * 20 s of CPU (twice that when it measures twice); the values measured in guard runs are in
 * benchmarks/README.md ("CI guard").
 */
class GuardTest {

    /** Medians measured 0.44 on this 2-core machine (benchmarks/README.md, "CI guard"). */
    static final double MAX_CORE_OVER_FLOOR = 0.52;
    /** Medians measured 1.70. */
    static final double MAX_FULL_OVER_FLOOR = 1.9;
    /**
     * Measured 5.6: reading the review as a Jackson tree, the regression this limit is for, would add
     * about 6 times the request.
     */
    static final double MAX_ALLOC_PER_REQUEST_BYTE = 6.5;
    /** Third quartile over first of the rounds' ratios past which the machine is too busy to judge. */
    static final double MAX_SPREAD = 1.5;
    static final String FIXTURE = "typical";

    @Test
    void theMutationCoreAndTheFullPathStayNearTheFloor() throws Exception {
        Measurement judged = measure();
        System.out.println(judged.report());
        if (judged.noisy() || judged.overLimit()) {
            // A shared host can be busy for half a minute; a real regression is slow every time.
            System.out.println("GUARD: " + (judged.noisy() ? "too noisy to judge" : "over a limit")
                    + "; measuring again");
            Measurement again = measure();
            System.out.println(again.report());
            judged = Measurement.better(judged, again);
        }

        assertTrue(judged.allocBytes() <= judged.allocLimit(), "fullPath allocates more than "
                + MAX_ALLOC_PER_REQUEST_BYTE + " x the request per admission" + judged.report());
        // Twice too noisy is a failure, not a pass nobody reads: run the build on a quieter machine.
        assertTrue(!judged.noisy(), String.format(Locale.ROOT, "GUARD: the machine was too busy to judge the "
                + "ratios, twice: they spread %.2fx between rounds (limit %.2fx)%s", judged.spread(), MAX_SPREAD,
                judged.report()));
        assertTrue(judged.coreRatio() <= MAX_CORE_OVER_FLOOR, "mutationCore is slower than " + MAX_CORE_OVER_FLOOR
                + " x floor" + judged.report());
        assertTrue(judged.fullRatio() <= MAX_FULL_OVER_FLOOR, "fullPath is slower than " + MAX_FULL_OVER_FLOOR
                + " x floor" + judged.report());
    }

    /** What one {@link GuardProbe} run measured. */
    private record Measurement(Map<String, Double> values, double allocLimit) {

        double coreRatio() {
            return values.get("core/floor.median");
        }

        double fullRatio() {
            return values.get("full/floor.median");
        }

        double allocBytes() {
            return values.get("full.alloc.bytes");
        }

        /** How much the rounds disagree: third quartile over first, the larger of the two ratios'. */
        double spread() {
            return Math.max(values.get("core/floor.p75") / values.get("core/floor.p25"),
                    values.get("full/floor.p75") / values.get("full/floor.p25"));
        }

        boolean noisy() {
            return spread() > MAX_SPREAD;
        }

        boolean overLimit() {
            return coreRatio() > MAX_CORE_OVER_FLOOR || fullRatio() > MAX_FULL_OVER_FLOOR
                    || allocBytes() > allocLimit;
        }

        /** How close to its limit the nearer ratio is: below 1 within both. */
        double worstShare() {
            return Math.max(coreRatio() / MAX_CORE_OVER_FLOOR, fullRatio() / MAX_FULL_OVER_FLOOR);
        }

        /** The measurement to judge: one that is not noisy, else the less noisy; of two quiet ones the faster. */
        static Measurement better(Measurement a, Measurement b) {
            if (a.noisy() != b.noisy()) {
                return a.noisy() ? b : a;
            }
            if (a.noisy()) {
                return a.spread() <= b.spread() ? a : b;
            }
            return a.worstShare() <= b.worstShare() ? a : b;
        }

        String report() {
            int requestBytes = (int) (allocLimit / MAX_ALLOC_PER_REQUEST_BYTE);
            return String.format(Locale.ROOT, "%nGUARD (fixture %s, %d request bytes; %.0f interleaved rounds, CPU time"
                    + " of the measuring thread)%n"
                    + "  CPU us/op (medians): mutationCore %.2f, fullPath %.2f, floor %.2f%n"
                    + "  mutationCore / floor = %.3f (limit %.2f; quartiles %.3f, %.3f)%n"
                    + "  fullPath / floor = %.3f (limit %.2f; quartiles %.3f, %.3f)%n"
                    + "  spread between rounds (third quartile / first) = %.2f (limit %.2f)%n"
                    + "  fullPath allocation = %.0f B/op = %.2f x request (limit %.1f x = %.0f B/op)%n",
                    FIXTURE, requestBytes, values.get("rounds"), values.get("core.us"), values.get("full.us"),
                    values.get("floor.us"), coreRatio(), MAX_CORE_OVER_FLOOR, values.get("core/floor.p25"),
                    values.get("core/floor.p75"), fullRatio(), MAX_FULL_OVER_FLOOR, values.get("full/floor.p25"),
                    values.get("full/floor.p75"), spread(), MAX_SPREAD, allocBytes(), allocBytes() / requestBytes,
                    MAX_ALLOC_PER_REQUEST_BYTE, allocLimit);
        }
    }

    /** One {@link GuardProbe} run in a JVM of its own. */
    private static Measurement measure() throws Exception {
        Path out = Files.createTempFile("guard-probe", ".txt");
        try {
            // Surefire starts tests from a manifest-only jar; the real class path is in this property.
            String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            Process probe = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    // The function's collector (knative/image.conf); GC threads are not the measuring thread.
                    "-XX:+UseSerialGC", "-cp", classPath, GuardProbe.class.getName(), FIXTURE)
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!probe.waitFor(3, TimeUnit.MINUTES)) {
                probe.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail("the guard's measurement did not end within 3 minutes:\n" + Files.readString(out));
            }
            String output = Files.readString(out, StandardCharsets.UTF_8);
            assertTrue(probe.exitValue() == 0, "the guard's measurement failed:\n" + output);
            String line = output.lines().filter(l -> l.startsWith("GUARD-PROBE ")).findFirst()
                    .orElseThrow(() -> new AssertionError("no GUARD-PROBE line in:\n" + output));
            Map<String, Double> values = new HashMap<>();
            for (String pair : line.substring("GUARD-PROBE ".length()).split(" ")) {
                String[] kv = pair.split("=", 2);
                values.put(kv[0], Double.parseDouble(kv[1]));
            }
            for (String name : List.of("rounds", "core/floor.p25", "core/floor.median", "core/floor.p75",
                    "full/floor.p25", "full/floor.median", "full/floor.p75", "core.us", "full.us", "floor.us",
                    "full.alloc.bytes")) {
                assertTrue(values.containsKey(name), name + " measured: " + line);
            }
            return new Measurement(values, MAX_ALLOC_PER_REQUEST_BYTE * Fixtures.load(FIXTURE).length);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
