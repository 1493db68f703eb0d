package dev.podidentity.admission;

import com.fasterxml.jackson.databind.JsonNode;

import dev.podidentity.TestJson;
import dev.podidentity.identity.IdentityResolver;
import dev.podidentity.identity.IdentitySettings;
import dev.podidentity.identity.PodIdentityAssociations;
import dev.podidentity.identity.RoleMappingSource;
import dev.podidentity.serviceaccount.ServiceAccount;
import dev.podidentity.serviceaccount.ServiceAccountRef;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static dev.podidentity.TestJson.MAPPER;
import static dev.podidentity.TestJson.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The decision log line, captured from its logger: one JSON object of names and reasons, no pod content. */
// Contract: docs/contract.md#decision-log
class DecisionLogTest {

    final List<String> lines = new ArrayList<>();
    final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            lines.add(record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void listen() {
        Logger.getLogger(DecisionLog.CATEGORY).addHandler(capture);
    }

    @AfterEach
    void stop() {
        Logger.getLogger(DecisionLog.CATEGORY).removeHandler(capture);
    }

    static AdmissionHandler handler() {
        ServiceAccountRef ref = new ServiceAccountRef("shop", "api");
        ServiceAccount sa = new ServiceAccount(ref, Map.of("eks.amazonaws.com/role-arn", "arn:aws:iam::111122223333:role/api"));
        return TestHandlers.logging("prod-eu", new IdentityResolver(IdentitySettings.defaults(),
                r -> r.equals(ref) ? Optional.of(sa) : Optional.empty(), PodIdentityAssociations.NONE,
                RoleMappingSource.NONE, () -> 1L));
    }

    static AdmissionReview review(String pod) {
        return TestJson.review(json("{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview','request':{'uid':'u-1',"
                + "'kind':{'kind':'Pod'},'operation':'CREATE','namespace':'shop','object':" + pod + "}}"));
    }

    @Test
    void oneJsonLinePerDecisionWithNamesAndReasonsOnly() throws Exception {
        handler().handle(review("{'metadata':{'generateName':'api-7c9-','annotations':{'secret-note':'TOPSECRET-A'}},"
                + "'spec':{'serviceAccountName':'api','containers':[{'name':'app','image':'TOPSECRET-IMAGE',"
                + "'env':[{'name':'PASSWORD','value':'TOPSECRET-VALUE'}]}]}}"));

        assertEquals(1, lines.size());
        String line = lines.get(0);
        JsonNode decision = MAPPER.readTree(line);
        assertEquals("prod-eu", decision.get("cluster").asText());
        assertEquals("shop", decision.get("namespace").asText());
        assertEquals("api-7c9-", decision.get("pod").asText());
        assertEquals("api", decision.get("serviceAccount").asText());
        assertEquals("sts_web_identity", decision.get("mode").asText());
        assertEquals("mutated", decision.get("outcome").asText());
        assertEquals("role-arn annotation", decision.get("reason").asText());
        assertTrue(decision.get("durationMs").isNumber());
        assertEquals("u-1", decision.get("uid").asText());
        assertFalse(line.contains("TOPSECRET"), line);
        assertFalse(line.contains("PASSWORD"), line);
        assertFalse(line.contains("\n"), "one line");
    }

    @Test
    void atLevelOffTheLoggerWritesNoLine() {
        Logger logger = Logger.getLogger(DecisionLog.CATEGORY);
        java.util.logging.Level level = logger.getLevel();
        logger.setLevel(java.util.logging.Level.OFF);
        try {
            handler().handle(review("{'spec':{'serviceAccountName':'api','containers':[{'name':'app'}]}}"));
        } finally {
            logger.setLevel(level);
        }
        assertEquals(List.of(), lines);

        handler().handle(review("{'spec':{'serviceAccountName':'api','containers':[{'name':'app'}]}}"));
        assertEquals(1, lines.size(), "back at its level, the same admission is a line");
    }

    @Test
    void unmutatedDeniedAndBadRequestsAreLoggedToo() {
        handler().handle(review("{'spec':{'serviceAccountName':'nobody','containers':[]}}"));
        handler().handle(review("{'spec':{'containers':'TOPSECRET'}}"));
        assertThrows(BadReviewException.class, () -> handler().handle(TestJson.review(json("{'kind':'AdmissionReview'}"))));

        assertEquals(3, lines.size());
        assertTrue(lines.get(0).contains("\"outcome\":\"not-mutated\""), lines.get(0));
        assertTrue(lines.get(0).contains("\"reason\":\"service account not found\""), lines.get(0));
        assertTrue(lines.get(1).contains("\"outcome\":\"denied\""), lines.get(1));
        assertFalse(lines.get(1).contains("TOPSECRET"), lines.get(1));
        assertTrue(lines.get(2).contains("\"outcome\":\"error\""), lines.get(2));
    }

    @Test
    void aHugeFieldIsCutWithAMarkerSoTheLineStaysSmall() throws Exception {
        String uid = "u".repeat(100_000);
        handler().handle(TestJson.review(json("{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview',"
                + "'request':{'uid':'" + uid + "','kind':{'kind':'Pod'},'operation':'CREATE','namespace':'shop',"
                + "'object':{'metadata':{'generateName':'" + "p".repeat(100_000) + "'},"
                + "'spec':{'serviceAccountName':'api','containers':[]}}}}")));

        assertEquals(1, lines.size());
        String line = lines.get(0);
        assertTrue(line.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= DecisionLog.MAX_LINE_BYTES,
                "length " + line.length());
        JsonNode decision = MAPPER.readTree(line);
        assertCut(decision.get("uid").asText(), 'u', 100_000);
        assertCut(decision.get("pod").asText(), 'p', 100_000);
        assertEquals("api", decision.get("serviceAccount").asText());
    }

    @Test
    void everyLineHasAFixedMaximumSizeWhateverItsFields() throws Exception {
        // Control characters and lone surrogates are the longest to escape: 6 bytes each.
        String worst = "\u0001\uD800".repeat(50_000);
        Decision decision = new Decision(worst, worst, worst, worst, worst, Outcome.ERROR, worst, Long.MAX_VALUE, worst);

        String line = DecisionLog.json(decision);

        assertTrue(line.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= DecisionLog.MAX_LINE_BYTES,
                "length " + line.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        assertTrue(DecisionLog.MAX_LINE_BYTES <= 4096, "one atomic write to a pipe (PIPE_BUF)");
        MAPPER.readTree(line);
        assertFalse(line.contains("\n"));
    }

    /** A run of the character, then the marker counting what was cut: together the original length. */
    static void assertCut(String value, char c, int originalLength) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(" + c + "+)…\\((\\d+) more\\)").matcher(value);
        assertTrue(m.matches(), value);
        assertEquals(originalLength, m.group(1).length() + Integer.parseInt(m.group(2)));
        assertTrue(m.group(1).length() >= 253, "a name Kubernetes allows is never cut");
    }
}
