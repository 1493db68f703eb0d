package dev.podidentity.admission;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.StringWriter;
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
    private static final JsonFactory JSON = JsonFactory.builder().build();

    @Override
    public void accept(Decision decision) {
        if (LOG.isInfoEnabled()) {
            LOG.info(json(decision));
        }
    }

    static String json(Decision d) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("cluster", d.cluster());
            json.writeStringField("namespace", d.namespace());
            json.writeStringField("pod", d.pod());
            json.writeStringField("serviceAccount", d.serviceAccount());
            json.writeStringField("mode", d.mode());
            json.writeStringField("outcome", d.outcome().label());
            json.writeStringField("reason", d.reason());
            json.writeNumberField("durationMs", Math.round(d.durationNanos() / 10_000.0) / 100.0);
            json.writeStringField("uid", d.uid());
            json.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
        return out.toString();
    }
}
