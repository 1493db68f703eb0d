package dev.podidentity.startup;

import dev.podidentity.admission.Decision;
import dev.podidentity.admission.Outcome;
import dev.podidentity.metrics.Metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.StartupEvent;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

import static dev.podidentity.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JVM and process meters, bound after the first decision a cluster's metrics count, or at the
 * latest (docs/contract.md#metrics).
 */
class DeferredJvmMetricsTest {

    /** One meter of each binder Quarkus's quarkus.micrometer.binder.jvm and .system bind. */
    static final List<String> ONE_OF_EACH_BINDER = List.of("jvm.classes.loaded", "jvm.gc.overhead",
            "jvm.memory.used", "jvm.threads.live", "jvm.info", "jvm.gc.memory.allocated", "process.uptime",
            "system.cpu.count", "process.files.open");

    static final Decision DECISION = new Decision("default", "shop", "api-", "api", "none", Outcome.NOT_MUTATED,
            "no role", 1_000, "uid");

    final MeterRegistry registry = new SimpleMeterRegistry();
    final Metrics metrics = new Metrics(registry);
    DeferredJvmMetrics jvm;
    /** The thread {@link DeferredJvmMetrics#start()} started: where the evidence of waiting is. */
    Thread binder;

    @AfterEach
    void close() {
        if (jvm != null) {
            jvm.close();
        }
        if (binder != null) {
            binder.interrupt(); // a thread still waiting for a day ends now
        }
    }

    /** The meters of the JVM and process binders, none of the function's own. */
    List<String> jvmMeters() {
        return registry.getMeters().stream().map(m -> m.getId().getName())
                .filter(name -> !name.startsWith("pod_identity_")).toList();
    }

    /** Starts the meters' thread and keeps it, to watch what it waits for. */
    void start(DeferredJvmMetrics deferred) {
        jvm = deferred;
        Set<Thread> before = binderThreads();
        jvm.start();
        Set<Thread> started = binderThreads();
        started.removeAll(before);
        assertEquals(1, started.size(), "threads started: " + started);
        binder = started.iterator().next();
    }

    static Set<Thread> binderThreads() {
        Set<Thread> threads = new HashSet<>();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().equals("jvm-metrics")) {
                threads.add(thread);
            }
        }
        return threads;
    }

    /** Returns once the binding thread is blocked in {@code className.method}: what it waits for. */
    void awaitBinderWaitingIn(String className, String method) throws InterruptedException {
        eventually(() -> {
            Thread.State state = binder.getState();
            return (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING)
                    && Arrays.stream(binder.getStackTrace()).anyMatch(frame -> frame.getClassName().equals(className)
                            && frame.getMethodName().equals(method));
        }, "the binding thread waiting in " + className + "." + method + ": " + binder.getState() + " "
                + Arrays.toString(binder.getStackTrace()));
    }

    void awaitBinderEnded() throws InterruptedException {
        binder.join(Duration.ofMinutes(1)); // a bound for a stuck test, not a timing
        assertFalse(binder.isAlive(), "the binding thread still runs: " + Arrays.toString(binder.getStackTrace()));
    }

    @Test
    void nothingIsBoundBeforeTheFirstDecisionAndEveryBinderAtIt() throws InterruptedException {
        start(new DeferredJvmMetrics(registry, Duration.ZERO, Duration.ofDays(1)));

        awaitBinderWaitingIn(CountDownLatch.class.getName(), "await"); // for the first decision, not binding
        assertFalse(jvm.bound());
        assertEquals(List.of(), jvmMeters());

        metrics.cluster("default").accept(DECISION);
        eventually(jvm::bound, "bound after the first decision");
        for (String name : ONE_OF_EACH_BINDER) {
            assertNotNull(registry.find(name).meter(), name);
        }
    }

    @Test
    void theyAreBoundOnlyTheGivenTimeAfterTheFirstDecision() throws InterruptedException {
        start(new DeferredJvmMetrics(registry, Duration.ofDays(1), Duration.ofDays(1)));
        metrics.cluster("default").accept(DECISION);

        awaitBinderWaitingIn(Thread.class.getName(), "sleep"); // past the first decision, waiting its day
        assertFalse(jvm.bound());
        assertEquals(List.of(), jvmMeters());
    }

    @Test
    void aClusterBuiltWithoutADecisionYetIsNotTheFirstDecision() throws InterruptedException {
        start(new DeferredJvmMetrics(registry, Duration.ZERO, Duration.ofDays(1)));
        metrics.cluster("default").cacheMiss();

        awaitBinderWaitingIn(CountDownLatch.class.getName(), "await"); // still for the first decision
        assertFalse(jvm.bound());
        assertEquals(List.of(), jvmMeters());
    }

    @Test
    void turnedOffTheyAreBoundWhenTheFunctionStarts() {
        jvm = new DeferredJvmMetrics(registry, Duration.ofDays(1), Duration.ofDays(1), false);
        jvm.started(new StartupEvent());

        assertTrue(jvm.bound());
        assertTrue(binderThreads().isEmpty(), "no thread waits for a decision: " + binderThreads());
        for (String name : ONE_OF_EACH_BINDER) {
            assertNotNull(registry.find(name).meter(), name);
        }
    }

    // Contract: docs/contract.md#metrics
    @Test
    void theContractStatesTheDelaysTheFunctionUses() throws IOException {
        String contract = Files.readString(Path.of("../docs/contract.md"));
        assertEquals(Duration.ofSeconds(1), DeferredJvmMetrics.AFTER_FIRST_DECISION);
        assertEquals(Duration.ofSeconds(10), DeferredJvmMetrics.LATEST);
        assertTrue(contract.contains("appear one second after the first admission was decided, or\nten seconds after "
                + "the start if none comes"), "docs/contract.md#metrics does not state the delays the function uses");
    }

    @Test
    void withoutAnAdmissionTheyAreBoundAtTheLatest() throws InterruptedException {
        start(new DeferredJvmMetrics(registry, Duration.ZERO, Duration.ofMillis(20)));

        eventually(jvm::bound, "bound without any decision");
        assertNotNull(registry.find("jvm.memory.used").meter());
    }

    @Test
    void laterDecisionsBindNothingMore() throws InterruptedException {
        start(new DeferredJvmMetrics(registry, Duration.ZERO, Duration.ofDays(1)));
        metrics.cluster("default").accept(DECISION);
        eventually(jvm::bound, "bound after the first decision");
        awaitBinderEnded(); // the only thread that binds has bound and is gone
        int meters = registry.getMeters().size();

        metrics.cluster("default").accept(DECISION);
        metrics.cluster("default").accept(DECISION);

        assertEquals(meters, registry.getMeters().size());
    }

    @Test
    void closedBeforeTheFirstDecisionItBindsNothing() throws InterruptedException {
        start(new DeferredJvmMetrics(registry, Duration.ZERO, Duration.ofDays(1)));
        jvm.close();
        metrics.cluster("default").accept(DECISION);

        awaitBinderEnded(); // it woke up at the decision and ended without binding
        assertFalse(jvm.bound());
        assertEquals(List.of(), jvmMeters());
    }
}
