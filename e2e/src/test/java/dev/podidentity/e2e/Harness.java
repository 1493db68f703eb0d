package dev.podidentity.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** Starting and stopping the real pieces: clusters through e2e/cluster.sh, and the packaged function. */
final class Harness {

    private Harness() {
    }

    static Path repository() {
        return Path.of(System.getProperty("e2e.repository", "..")).toAbsolutePath().normalize();
    }

    /** A work directory of its own under the module's target/work. */
    static Path work(String name) throws Exception {
        return Files.createDirectories(Path.of(System.getProperty("e2e.work", "target/work")).toAbsolutePath()
                .resolve(name));
    }

    /**
     * A fresh cluster in {@code dir} (whatever ran there before is stopped and removed), stopped by
     * itself if this JVM dies; returns its cluster.env. The first start builds the binaries.
     */
    static Map<String, String> startCluster(Path work, Path dir, String... options) throws Exception {
        stopCluster(work, dir);
        Shell.deleteRecursively(dir);
        List<String> command = new ArrayList<>(List.of("bash", repository().resolve("e2e/cluster.sh").toString(),
                "start", dir.toString(), "--owner-pid", String.valueOf(ProcessHandle.current().pid())));
        command.addAll(List.of(options));
        Shell.run(work, work.resolve("e2e.log"), 1800, command.toArray(String[]::new));
        return E2eEnvironment.readEnv(dir.resolve("cluster.env"));
    }

    static void stopCluster(Path work, Path dir) {
        Shell.run(work, work.resolve("e2e.log"), 120, "bash", repository().resolve("e2e/cluster.sh").toString(),
                "stop", dir.toString());
    }

    /**
     * Starts the packaged function with these system properties ({@code -D...}), logging to
     * {@code dir/function.log}, and waits until {@code ready} says so.
     */
    static Process startFunction(Path dir, List<String> properties, Callable<Boolean> ready) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        // Several functions run at once in this suite: each gets a free management (metrics) port,
        // chosen here: with port 0 Quarkus 3.34 registers the management server's byte meters
        // without the server_port tag the others carry, and Prometheus refuses the mix at start.
        command.add("-Dquarkus.management.port=" + E2eEnvironment.freePort());
        command.addAll(properties);
        command.addAll(List.of("-jar", Path.of(System.getProperty("e2e.function-jar")).toString()));
        Process function = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("function.log").toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                if (ready.call()) {
                    return function;
                }
            } catch (java.io.IOException notYet) {
                // still starting
            }
            if (!function.isAlive() || System.nanoTime() > deadline) {
                function.destroy();
                throw new IllegalStateException("the function did not become ready:\n"
                        + Shell.tail(dir.resolve("function.log")));
            }
            Thread.sleep(200);
        }
    }

    /**
     * Stops a function started by {@link #startFunction}: SIGTERM, and SIGKILL if it is still
     * running 30 s later, which is then an error (Quarkus stops in about a second, and nothing
     * here sets a shutdown delay).
     */
    static void stop(Process function) throws InterruptedException {
        if (function == null) {
            return;
        }
        function.destroy();
        if (!function.waitFor(30, TimeUnit.SECONDS)) {
            function.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("the function (pid " + function.pid()
                    + ") did not stop within 30 s of SIGTERM and was killed");
        }
    }
}
