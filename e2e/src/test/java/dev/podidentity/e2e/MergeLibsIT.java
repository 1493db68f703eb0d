package dev.podidentity.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * knative/MergeLibs.java, which the image build runs on the aot-jar: the merged jar serves what the
 * class path served, and the runner names it in the dependencies' place.
 */
class MergeLibsIT {

    static final String RUNNER_CLASS_PATH = "quarkus/generated-bytecode.jar app/app.jar lib/boot/a.jar lib/main/b.jar";

    @TempDir
    Path dir;

    @Test
    void theMergedJarServesWhatTheClassPathServedAndTheRunnerNamesIt() throws Exception {
        runner(RUNNER_CLASS_PATH);
        FileTime runnerTime = Files.getLastModifiedTime(dir.resolve("quarkus-run.jar"));
        jar("lib/boot/a.jar", false, Map.of(
                "com/example/Shared.class", "from a",
                "META-INF/services/com.example.Spi", "com.example.FromA\n",
                "META-INF/LICENSE", "licence of a",
                "META-INF/INDEX.LIST", "JarIndex-Version: 1.0",
                "module-info.class", "module a"));
        jar("lib/main/b.jar", false, Map.of(
                "com/example/Shared.class", "from b",
                "com/example/OnlyB.class", "only b",
                "META-INF/services/com.example.Spi", "com.example.FromB",
                "META-INF/LICENSE", "licence of b",
                "META-INF/B.SF", "signature"));

        assertEquals(0, mergeLibs(dir).exit(), "merge");

        try (JarFile runner = new JarFile(dir.resolve("quarkus-run.jar").toFile())) {
            Attributes main = runner.getManifest().getMainAttributes();
            assertEquals("quarkus/generated-bytecode.jar app/app.jar lib/main/dependencies.jar",
                    main.getValue(Attributes.Name.CLASS_PATH));
            assertEquals("io.quarkus.bootstrap.runner.AotQuarkusEntryPoint", main.getValue(Attributes.Name.MAIN_CLASS));
            assertEquals("kept", text(runner, "kept.txt"));
        }
        assertEquals(runnerTime, Files.getLastModifiedTime(dir.resolve("quarkus-run.jar")));
        assertFalse(Files.exists(dir.resolve("lib/boot")), "the emptied lib/boot is removed");
        assertFalse(Files.exists(dir.resolve("lib/main/b.jar")));

        try (JarFile merged = new JarFile(dir.resolve("lib/main/dependencies.jar").toFile())) {
            assertEquals("from a", text(merged, "com/example/Shared.class"), "the first jar on the class path wins");
            assertEquals("only b", text(merged, "com/example/OnlyB.class"));
            assertEquals("com.example.FromA\ncom.example.FromB\n", text(merged, "META-INF/services/com.example.Spi"));
            assertEquals("licence of a", text(merged, "META-INF/licenses/a.jar/LICENSE"));
            assertEquals("licence of b", text(merged, "META-INF/licenses/b.jar/LICENSE"));
            assertNull(merged.getEntry("META-INF/LICENSE"));
            assertNull(merged.getEntry("META-INF/INDEX.LIST"));
            assertNull(merged.getEntry("META-INF/B.SF"));
            assertNull(merged.getEntry("module-info.class"));
            assertFalse(merged.isMultiRelease());
        }

        Result again = mergeLibs(dir);
        assertEquals(1, again.exit(), "a second merge is refused");
        assertTrue(again.output().contains("merged already"), again.output());
    }

    @Test
    void aVersionedClassThatWouldReplaceAnEarlierJarsClassStopsTheMergeAndDeletesNothing() throws Exception {
        runner(RUNNER_CLASS_PATH);
        jar("lib/boot/a.jar", false, Map.of("com/example/Shared.class", "from a"));
        jar("lib/main/b.jar", true, Map.of("META-INF/versions/17/com/example/Shared.class", "from b, Java 17"));

        Result result = mergeLibs(dir);

        assertEquals(1, result.exit());
        assertTrue(result.output().contains("META-INF/versions/17/com/example/Shared.class of b.jar would replace"
                + " com/example/Shared.class of a.jar"), result.output());
        assertTrue(Files.exists(dir.resolve("lib/boot/a.jar")));
        assertTrue(Files.exists(dir.resolve("lib/main/b.jar")));
        assertFalse(Files.exists(dir.resolve("lib/main/dependencies.jar")));
    }

    @Test
    void theMergedJarIsMultiReleaseWithTheVersionedEntriesOfMultiReleaseJarsOnly() throws Exception {
        runner(RUNNER_CLASS_PATH);
        jar("lib/boot/a.jar", false, Map.of("META-INF/versions/11/com/example/Inert.class", "never read"));
        jar("lib/main/b.jar", true, Map.of("com/example/Fast.class", "base",
                "META-INF/versions/21/com/example/Fast.class", "Java 21"));

        assertEquals(0, mergeLibs(dir).exit());

        try (JarFile merged = new JarFile(dir.resolve("lib/main/dependencies.jar").toFile())) {
            assertTrue(merged.isMultiRelease());
            assertEquals("Java 21", text(merged, "META-INF/versions/21/com/example/Fast.class"));
            assertNull(merged.getEntry("META-INF/versions/11/com/example/Inert.class"));
        }
    }

    @Test
    void theSameInputsGiveTheSameBytes(@TempDir Path other) throws Exception {
        for (Path target : List.of(dir, other)) {
            runner(target, RUNNER_CLASS_PATH);
            jar(target, "lib/boot/a.jar", false, Map.of("com/example/A.class", "a", "META-INF/services/S", "A"));
            jar(target, "lib/main/b.jar", false, Map.of("com/example/B.class", "b", "META-INF/services/S", "B"));
            assertEquals(0, mergeLibs(target).exit());
        }
        for (String file : List.of("lib/main/dependencies.jar", "quarkus-run.jar")) {
            assertArrayEquals(Files.readAllBytes(dir.resolve(file)), Files.readAllBytes(other.resolve(file)), file);
            assertEquals(Files.getLastModifiedTime(dir.resolve(file)), Files.getLastModifiedTime(other.resolve(file)), file);
        }
    }

    record Result(int exit, String output) {
    }

    static Result mergeLibs(Path deployments) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        // Output to a file: reading a pipe until a hung process closes it would wait past every timeout.
        Path out = Files.createTempFile("merge-libs", ".txt");
        try {
            Process process = new ProcessBuilder(java.toString(),
                    Harness.repository().resolve("knative/MergeLibs.java").toString(), deployments.toString())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            boolean finished = process.waitFor(60, TimeUnit.SECONDS);
            if (!finished) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            String output = Files.readString(out, StandardCharsets.UTF_8);
            assertTrue(finished, "MergeLibs did not finish within 60 s:\n" + output);
            return new Result(process.exitValue(), output);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    void runner(String classPath) throws IOException {
        runner(dir, classPath);
    }

    /** An aot-jar's runner: a manifest only (and one other entry), as Quarkus writes it. */
    static void runner(Path target, String classPath) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "io.quarkus.bootstrap.runner.AotQuarkusEntryPoint");
        Path jar = target.resolve("quarkus-run.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            manifest(out, manifest);
            entry(out, "kept.txt", "kept");
        }
        Files.setLastModifiedTime(jar, FileTime.fromMillis(1_700_000_000_000L));
    }

    void jar(String path, boolean multiRelease, Map<String, String> entries) throws IOException {
        jar(dir, path, multiRelease, entries);
    }

    static void jar(Path target, String path, boolean multiRelease, Map<String, String> entries) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (multiRelease) {
            manifest.getMainAttributes().put(Attributes.Name.MULTI_RELEASE, "true");
        }
        Path jar = target.resolve(path);
        Files.createDirectories(jar.getParent());
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            manifest(out, manifest);
            for (Map.Entry<String, String> entry : new LinkedHashMap<>(entries).entrySet()) {
                entry(out, entry.getKey(), entry.getValue());
            }
        }
        Files.setLastModifiedTime(jar, FileTime.fromMillis(1_700_000_000_000L));
    }

    /** The manifest entry, at the same fixed time as every entry (JarOutputStream's own takes the clock's). */
    static void manifest(JarOutputStream out, Manifest manifest) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        manifest.write(bytes);
        entry(out, JarFile.MANIFEST_NAME, bytes.toString(StandardCharsets.UTF_8));
    }

    static void entry(JarOutputStream out, String name, String content) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setTime(1_700_000_000_000L);
        out.putNextEntry(entry);
        out.write(content.getBytes(StandardCharsets.UTF_8));
        out.closeEntry();
    }

    static String text(JarFile jar, String name) throws IOException {
        ZipEntry entry = jar.getEntry(name);
        assertTrue(entry != null, name + " is in " + jar.getName());
        try (var in = jar.getInputStream(entry)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
