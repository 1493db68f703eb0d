package dev.podidentity.metrics;

import dev.podidentity.admission.Decision;
import dev.podidentity.admission.Outcome;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.podidentity.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JVM and process meters, bound after the first decision or at the latest (docs/contract.md#metrics). */
class JvmMetricsTest {

    /** One meter of each binder Quarkus's quarkus.micrometer.binder.jvm and .system bind. */
    static final List<String> ONE_OF_EACH_BINDER = List.of("jvm.classes.loaded", "jvm.gc.overhead",
            "jvm.memory.used", "jvm.threads.live", "jvm.info", "jvm.gc.memory.allocated", "process.uptime",
            "system.cpu.count", "process.files.open");

    static final Decision DECISION = new Decision("default", "shop", "api-", "api", "none", Outcome.NOT_MUTATED,
            "no role", 1_000, "uid");

    final MeterRegistry registry = new SimpleMeterRegistry();
    JvmMetrics jvm;

    @AfterEach
    void close() {
        if (jvm != null) {
            jvm.close();
        }
    }

    @Test
    void nothingIsBoundBeforeTheFirstDecisionAndEveryBinderAtIt() throws InterruptedException {
        jvm = new JvmMetrics(registry, Duration.ZERO, Duration.ofDays(1));
        jvm.start();
        Thread.sleep(50); // the waiting thread has had time to bind, had it not waited
        assertFalse(jvm.bound());
        assertTrue(registry.getMeters().isEmpty(), registry.getMeters().toString());

        jvm.accept(DECISION);
        eventually(jvm::bound, "bound after the first decision");
        for (String name : ONE_OF_EACH_BINDER) {
            assertNotNull(registry.find(name).meter(), name);
        }
    }

    @Test
    void theyAreBoundOnlyTheGivenTimeAfterTheFirstDecision() throws InterruptedException {
        jvm = new JvmMetrics(registry, Duration.ofDays(1), Duration.ofDays(1));
        jvm.start();
        jvm.accept(DECISION);
        Thread.sleep(50); // the thread has had time to bind, had it not waited
        assertFalse(jvm.bound());
        assertTrue(registry.getMeters().isEmpty(), registry.getMeters().toString());
    }

    // Contract: docs/contract.md#metrics
    @Test
    void theContractStatesTheDelaysTheFunctionUses() throws IOException {
        String contract = Files.readString(Path.of("../docs/contract.md"));
        assertEquals(Duration.ofSeconds(1), JvmMetrics.AFTER_FIRST_DECISION);
        assertEquals(Duration.ofSeconds(10), JvmMetrics.LATEST);
        assertTrue(contract.contains("appear one second after the first admission was decided, or\nten seconds after "
                + "the start if none comes"), "docs/contract.md#metrics does not state the delays JvmMetrics uses");
    }

    @Test
    void withoutAnAdmissionTheyAreBoundAtTheLatest() throws InterruptedException {
        jvm = new JvmMetrics(registry, Duration.ZERO, Duration.ofMillis(20));
        jvm.start();
        eventually(jvm::bound, "bound without any decision");
        assertNotNull(registry.find("jvm.memory.used").meter());
    }

    @Test
    void laterDecisionsBindNothingMore() throws InterruptedException {
        jvm = new JvmMetrics(registry, Duration.ZERO, Duration.ofDays(1));
        jvm.start();
        jvm.accept(DECISION);
        eventually(jvm::bound, "bound after the first decision");
        int meters = registry.getMeters().size();

        jvm.accept(DECISION);
        jvm.accept(DECISION);
        Thread.sleep(50);
        assertEquals(meters, registry.getMeters().size());
    }

    @Test
    void closedBeforeTheFirstDecisionItBindsNothing() throws InterruptedException {
        jvm = new JvmMetrics(registry, Duration.ZERO, Duration.ofDays(1));
        jvm.start();
        jvm.close();
        jvm.accept(DECISION);
        Thread.sleep(50); // the waiting thread has had time to bind, had it not been closed
        assertFalse(jvm.bound());
        assertTrue(registry.getMeters().isEmpty(), registry.getMeters().toString());
    }
}
