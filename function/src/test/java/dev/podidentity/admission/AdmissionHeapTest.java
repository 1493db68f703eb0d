package dev.podidentity.admission;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One review, or a few at once, cannot take the heap: {@link HeapProbe} answers them in a child
 * JVM with the flags the function ships with (Serial GC, 192 MiB of heap, exit on
 * OutOfMemoryError), and must live to print every answer.
 */
// Contract: docs/contract.md#limits
class AdmissionHeapTest {

    /** The heap flags of the manifests (50 % of a 384 MiB limit) and knative/image.conf. */
    static final List<String> SHIPPED_FLAGS = List.of("-XX:+UseSerialGC", "-Xmx192m", "-XX:+ExitOnOutOfMemoryError",
            "-XX:TieredStopAtLevel=1");

    static List<String> probe(String... scenarios) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(SHIPPED_FLAGS);
        command.add("-cp");
        // Surefire starts tests from a manifest-only jar; the real class path is in this property.
        command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        command.add(HeapProbe.class.getName());
        command.addAll(List.of(scenarios));
        // Its output goes to a file, not a pipe: reading a pipe until a hung child closes it would
        // wait forever, past every timeout.
        Path out = Files.createTempFile("heap-probe", ".txt");
        try {
            Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!child.waitFor(2, TimeUnit.MINUTES)) {
                child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail("the probe did not end within 2 minutes:\n" + Files.readString(out, StandardCharsets.UTF_8));
            }
            String output = Files.readString(out, StandardCharsets.UTF_8);
            assertEquals(0, child.exitValue(), "the probe died:\n" + output);
            return output.lines().toList();
        } finally {
            Files.deleteIfExists(out);
        }
    }

    @Test
    void aReviewOf80000EmptyContainersIsAnsweredWithoutAPatch() throws Exception {
        List<String> lines = probe("empty-containers");

        assertEquals(List.of("empty-containers 240384 bytes: allowed=true patchBytes=0 warnings=[\"AWS credentials were"
                + " not added to this pod: the pod has 80000 containers, more than the 1000 this function mutates;"
                + " pod admitted without AWS credentials\"] message=", "survived"), lines);
    }

    static final String BUSY = "429 too many admissions in flight";

    @Test
    void eightConcurrentReviewsOf3MiBAreAnsweredWithoutAPatchOrRefusedAsTooMany() throws Exception {
        List<String> lines = probe("realistic-3m");

        assertEquals(HeapProbe.CONCURRENT + 1, lines.size(), String.join("\n", lines));
        long answered = 0;
        for (String line : lines.subList(0, HeapProbe.CONCURRENT)) {
            if (!line.equals("realistic-3m: " + BUSY)) {
                answered++;
                assertTrue(line.startsWith("realistic-3m: allowed=true patchBytes=0 warnings=[\"AWS credentials were not"
                        + " added to this pod: the pod has " + HeapProbe.realisticContainersIn(HeapProbe.BODY_LIMIT)
                        + " containers, more than the 1000"), line);
            }
        }
        assertTrue(answered >= 2, "8 MiB in flight holds two 3 MiB bodies: " + lines);
        assertEquals("survived", lines.getLast());
    }

    @Test
    void eightConcurrentReviewsOf3MiBOfEmptyContainersAreAnsweredOrRefusedAsTooMany() throws Exception {
        // The worst body known for the heap: a million containers, each a record in the pod view.
        List<String> lines = probe("empty-3m");

        assertEquals(HeapProbe.CONCURRENT + 1, lines.size(), String.join("\n", lines));
        for (String line : lines.subList(0, HeapProbe.CONCURRENT)) {
            assertTrue(line.equals("empty-3m: " + BUSY) || line.contains("containers, more than the 1000"), line);
        }
        assertEquals("survived", lines.getLast());
    }

    @Test
    void eightConcurrentPodsAtTheContainerLimitAreMutatedInFull() throws Exception {
        List<String> lines = probe("largest-mutated");

        for (String line : lines.subList(0, HeapProbe.CONCURRENT)) {
            assertTrue(line.matches("largest-mutated: allowed=true patchBytes=[1-9][0-9]{5,6} warnings= message="),
                    line);
        }
        assertEquals("survived", lines.getLast());
    }
}
