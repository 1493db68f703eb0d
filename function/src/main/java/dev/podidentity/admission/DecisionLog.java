package dev.podidentity.admission;

import dev.podidentity.mutation.JsonBytes;

import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Writes each admission decision as one JSON line on the logger {@value #CATEGORY}: cluster,
 * namespace, pod (name or generateName), ServiceAccount, mode, outcome, reason, duration and uid —
 * never anything else of the pod.
 *
 * <pre>{@code
 * {"cluster":"default","namespace":"shop","pod":"api-7c9-","serviceAccount":"api","mode":"sts_web_identity",
 *  "outcome":"mutated","reason":"role-arn annotation","durationMs":0.41,"uid":"0b5a2c1e-…"}
 * }</pre>
 */
public final class DecisionLog implements Consumer<Decision> {

    /** The log category; its handler prints the message alone (application.properties). */
    public static final String CATEGORY = "dev.podidentity.decision";

    private static final Logger LOG = Logger.getLogger(CATEGORY);
    private static final JsonBytes.Name CLUSTER = JsonBytes.Name.of("cluster");
    private static final JsonBytes.Name NAMESPACE = JsonBytes.Name.of("namespace");
    private static final JsonBytes.Name POD = JsonBytes.Name.of("pod");
    private static final JsonBytes.Name SERVICE_ACCOUNT = JsonBytes.Name.of("serviceAccount");
    private static final JsonBytes.Name MODE = JsonBytes.Name.of("mode");
    private static final JsonBytes.Name OUTCOME = JsonBytes.Name.of("outcome");
    private static final JsonBytes.Name REASON = JsonBytes.Name.of("reason");
    private static final JsonBytes.Name DURATION_MS = JsonBytes.Name.of("durationMs");
    private static final JsonBytes.Name UID = JsonBytes.Name.of("uid");

    @Override
    public void accept(Decision decision) {
        if (LOG.isInfoEnabled()) {
            LOG.info(json(decision));
        }
    }

    static String json(Decision d) {
        byte[] line = JsonBytes.write(out -> out.startObject()
                .name(CLUSTER).string(d.cluster())
                .name(NAMESPACE).string(d.namespace())
                .name(POD).string(d.pod())
                .name(SERVICE_ACCOUNT).string(d.serviceAccount())
                .name(MODE).string(d.mode())
                .name(OUTCOME).string(d.outcome().label())
                .name(REASON).string(d.reason())
                .name(DURATION_MS).number(Math.round(d.durationNanos() / 10_000.0) / 100.0)
                .name(UID).string(d.uid())
                .endObject());
        return new String(line, StandardCharsets.UTF_8);
    }
}
