package dev.podidentity.admission;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.jboss.logging.Logger;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Writes each admission decision as one JSON line on the logger {@value #CATEGORY}: cluster,
 * namespace, pod (name or generateName), ServiceAccount, mode, outcome, reason, duration and uid —
 * never anything else of the pod. Each field is cut past its share of {@value #MAX_LINE_BYTES}
 * bytes (a 100 KB uid is not logged whole), and each line is printed in one write by
 * {@link DecisionLineHandler}, so other output never splits it.
 *
 * <pre>{@code
 * {"cluster":"default","namespace":"shop","pod":"api-7c9-","serviceAccount":"api","mode":"sts_web_identity",
 *  "outcome":"mutated","reason":"role-arn annotation","durationMs":0.41,"uid":"0b5a2c1e-…"}
 * }</pre>
 */
public final class DecisionLog implements Consumer<Decision> {

    /** The log category; its handler prints the message alone (application.properties). */
    public static final String CATEGORY = "dev.podidentity.decision";

    /**
     * The longest line, in bytes, whatever the fields hold: at most 4,096 bytes, which one write to
     * a pipe delivers whole ({@link DecisionLineHandler}).
     */
    public static final int MAX_LINE_BYTES = 4096;

    /** Escaped UTF-8 bytes each field may take before it is cut; valid names always fit. */
    private static final int CLUSTER_BYTES = 80;
    private static final int NAMESPACE_BYTES = 256;
    private static final int POD_BYTES = 512;
    private static final int SERVICE_ACCOUNT_BYTES = 512;
    private static final int MODE_BYTES = 32;
    private static final int OUTCOME_BYTES = 32;
    private static final int REASON_BYTES = 1024;
    private static final int UID_BYTES = 256;
    /** Names, quotes, commas, the duration and a cut marker per field, generously. */
    private static final int OVERHEAD_BYTES = 512;

    static {
        int fields = CLUSTER_BYTES + NAMESPACE_BYTES + POD_BYTES + SERVICE_ACCOUNT_BYTES + MODE_BYTES + OUTCOME_BYTES
                + REASON_BYTES + UID_BYTES;
        if (fields + OVERHEAD_BYTES > MAX_LINE_BYTES) {
            throw new ExceptionInInitializerError("decision line budgets exceed " + MAX_LINE_BYTES + " bytes");
        }
    }

    private static final Logger LOG = Logger.getLogger(CATEGORY);
    /** Held: the handler is installed on this logger, which must not be collected and made anew. */
    private static final java.util.logging.Logger OUTPUT = java.util.logging.Logger.getLogger(CATEGORY);
    /** Prints decision lines with a {@link DecisionLineHandler}. */
    public DecisionLog() {
        DecisionLineHandler.install(OUTPUT);
    }

    @Override
    public void accept(Decision decision) {
        if (LOG.isInfoEnabled()) {
            LOG.info(json(decision));
        }
    }

    static String json(Decision d) {
        ObjectNode line = AdmissionJson.WRITER.createObjectNode()
                .put("cluster", bounded(d.cluster(), CLUSTER_BYTES))
                .put("namespace", bounded(d.namespace(), NAMESPACE_BYTES))
                .put("pod", bounded(d.pod(), POD_BYTES))
                .put("serviceAccount", bounded(d.serviceAccount(), SERVICE_ACCOUNT_BYTES))
                .put("mode", bounded(d.mode(), MODE_BYTES))
                .put("outcome", bounded(d.outcome().label(), OUTCOME_BYTES))
                .put("reason", bounded(d.reason(), REASON_BYTES))
                .put("durationMs", Math.round(d.durationNanos() / 10_000.0) / 100.0)
                .put("uid", bounded(d.uid(), UID_BYTES));
        try {
            // Bytes, not a String: only the UTF-8 generator escapes surrogates, so the line stays valid UTF-8.
            return new String(AdmissionJson.WRITER.writeValueAsBytes(line), StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("writing a tree to memory cannot fail", e);
        }
    }

    /**
     * The value, or as much of it as fits in {@code maxBytes} once escaped, followed by
     * {@code …(N more)}. Counts each character at the most its escape can take, so the line's
     * bound holds for any input; a name or uid Kubernetes allows is never cut.
     */
    static String bounded(String value, int maxBytes) {
        if (value == null) {
            return null;
        }
        if (value.length() * 6 <= maxBytes) {
            return value; // no escape is longer than 6 bytes: nothing to count
        }
        int bytes = 0;
        for (int i = 0; i < value.length(); i++) {
            bytes += escapedBytes(value.charAt(i));
            if (bytes > maxBytes) {
                int cut = i > 0 && Character.isHighSurrogate(value.charAt(i - 1)) ? i - 1 : i;
                return value.substring(0, cut) + "…(" + (value.length() - cut) + " more)";
            }
        }
        return value;
    }

    /** At least what {@link AdmissionJson#WRITER} writes for the character. */
    private static int escapedBytes(char c) {
        if (c < 0x20 || Character.isSurrogate(c)) {
            return 6;
        }
        if (c == '"' || c == '\\') {
            return 2;
        }
        return c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    }
}
