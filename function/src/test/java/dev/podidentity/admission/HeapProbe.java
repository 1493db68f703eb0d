package dev.podidentity.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

import dev.podidentity.identity.IdentityResolver;
import dev.podidentity.identity.IdentitySettings;
import dev.podidentity.identity.PodIdentityAssociations;
import dev.podidentity.identity.RoleMappingSource;
import dev.podidentity.serviceaccount.ServiceAccount;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs in a child JVM with the shipped heap flags ({@link AdmissionHeapTest}): answers hostile and
 * huge reviews the way the function does — body bytes read by the function's reader, the
 * admission handler, the answer written as the function writes it — and prints one line
 * per answer. An OutOfMemoryError ends the JVM (the shipped {@code -XX:+ExitOnOutOfMemoryError}),
 * so reaching the end proves the heap held.
 *
 * <pre>{@code
 * java -XX:+UseSerialGC -Xmx192m -XX:+ExitOnOutOfMemoryError -cp <test classpath> \
 *     dev.podidentity.admission.HeapProbe empty-containers realistic-3m
 * }</pre>
 */
public final class HeapProbe {

    static final String ROLE = "arn:aws:iam::111122223333:role/s3-reader";
    /** Most reviews the API server can send at once in the tests' scenario. */
    static final int CONCURRENT = Integer.getInteger("probe.concurrent", 8);
    static final int BODY_LIMIT = 3 * 1024 * 1024;
    /** pod-identity.limits.max-in-flight-bytes, as shipped. */
    static final long MAX_IN_FLIGHT_BYTES = 8L * 1024 * 1024;

    private HeapProbe() {
    }

    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        new JsonLimits().customize(mapper);
        new AdmissionJson().customize(mapper);
        ObjectReader reviews = mapper.readerFor(AdmissionReview.class);
        IdentityResolver resolver = new IdentityResolver(IdentitySettings.builder().region("eu-west-1").build(),
                ref -> Optional.of(new ServiceAccount(ref, Map.of("eks.amazonaws.com/role-arn", ROLE))),
                PodIdentityAssociations.NONE, RoleMappingSource.NONE, () -> 4L);
        InFlightBytes inFlight = InFlightBytes.of(MAX_IN_FLIGHT_BYTES);
        AdmissionHandler handler = new AdmissionHandler("default", resolver, decision -> { }, AnswerLimits.defaults(),
                inFlight);
        for (String scenario : args) {
            switch (scenario) {
                case "empty-containers" -> {
                    // 80,000 containers of 3 bytes each: a 240 KB body.
                    byte[] body = review("empty", 80_000, "{}");
                    System.out.println("empty-containers " + body.length + " bytes: "
                            + answer(mapper, reviews, handler, inFlight, body));
                }
                case "realistic-3m" -> {
                    // Containers as a pod spec has them, as many as fill the body limit; all at once.
                    ExecutorService callers = Executors.newFixedThreadPool(CONCURRENT);
                    List<Future<String>> answers = new ArrayList<>();
                    for (int i = 0; i < CONCURRENT; i++) {
                        byte[] body = review("realistic-" + i, realisticContainersIn(BODY_LIMIT), null);
                        Callable<String> call = () -> answer(mapper, reviews, handler, inFlight, body);
                        answers.add(callers.submit(call));
                    }
                    for (Future<String> answer : answers) {
                        System.out.println("realistic-3m: " + answer.get());
                    }
                    callers.shutdown();
                }
                case "empty-3m" -> {
                    ExecutorService callers = Executors.newFixedThreadPool(CONCURRENT);
                    List<Future<String>> answers = new ArrayList<>();
                    for (int i = 0; i < CONCURRENT; i++) {
                        byte[] body = review("empty-3m-" + i, (BODY_LIMIT - 1024) / 3, "{}");
                        answers.add(callers.submit(() -> answer(mapper, reviews, handler, inFlight, body)));
                    }
                    for (Future<String> answer : answers) {
                        System.out.println("empty-3m: " + answer.get());
                    }
                    callers.shutdown();
                }
                case "largest-mutated" -> {
                    // The largest pods still mutated, all at once: their answers are whole.
                    ExecutorService callers = Executors.newFixedThreadPool(CONCURRENT);
                    List<Future<String>> answers = new ArrayList<>();
                    for (int i = 0; i < CONCURRENT; i++) {
                        byte[] body = review("largest-" + i, AnswerLimits.defaults().maxContainers(), null);
                        answers.add(callers.submit(() -> answer(mapper, reviews, handler, inFlight, body)));
                    }
                    for (Future<String> answer : answers) {
                        System.out.println("largest-mutated: " + answer.get());
                    }
                    callers.shutdown();
                }
                default -> throw new IllegalArgumentException("no scenario " + scenario);
            }
        }
        System.out.println("survived");
    }

    /**
     * What the API server would read from the answer: allowed, and the patch size or the reason; or
     * 429, as {@link dev.podidentity.http.AdmissionGate} answers when the body does not fit in what is in flight.
     */
    static String answer(ObjectMapper mapper, ObjectReader reviews, AdmissionHandler handler, InFlightBytes inFlight,
            byte[] body) throws Exception {
        long weight = InFlightBytes.weightOf(body.length);
        if (!inFlight.tryReserve(weight)) {
            return "429 too many admissions in flight";
        }
        try {
            return answer(mapper, reviews, handler, body);
        } finally {
            inFlight.release(weight);
        }
    }

    private static String answer(ObjectMapper mapper, ObjectReader reviews, AdmissionHandler handler, byte[] body)
            throws Exception {
        AdmissionReview review = reviews.readValue(body);
        byte[] answer = AdmissionReviewAnswerWriter.toBytes(handler.handle(review));
        JsonNode response = mapper.readTree(answer).get("response");
        int patch = response.has("patch") ? Base64.getDecoder().decode(response.get("patch").asText()).length : 0;
        return "allowed=" + response.get("allowed").asBoolean() + " patchBytes=" + patch
                + " warnings=" + response.path("warnings") + " message=" + response.at("/status/message").asText();
    }

    static final String REALISTIC = """
            {"name":"app-%05d","image":"registry.example.com/team/app:1.2.3","imagePullPolicy":"IfNotPresent",\
            "ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],"resources":{"requests":\
            {"cpu":"100m","memory":"128Mi"},"limits":{"cpu":"500m","memory":"256Mi"}}}""";

    static int realisticContainersIn(int bytes) {
        return (bytes - 1024) / (REALISTIC.formatted(0).length() + 1);
    }

    /** A pod CREATE review with that many containers, each the template (or a realistic one when null). */
    static byte[] review(String name, int containers, String template) {
        StringBuilder json = new StringBuilder(containers * (template == null ? 280 : template.length() + 1) + 1024);
        json.append("""
                {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"%s",\
                "kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},\
                "namespace":"default","operation":"CREATE","object":{"apiVersion":"v1","kind":"Pod",\
                "metadata":{"name":"%s","namespace":"default"},"spec":{"serviceAccountName":"s3-reader","containers":[\
                """.formatted(name, name));
        for (int i = 0; i < containers; i++) {
            if (i > 0) {
                json.append(',');
            }
            json.append(template != null ? template : REALISTIC.formatted(i));
        }
        json.append("]}}}}");
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }
}
