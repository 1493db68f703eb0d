package dev.podidentity.admission;

import io.quarkus.test.junit.QuarkusTest;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.podidentity.Eventually.eventually;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admission metrics (docs/contract.md#metrics) on the management interface's /q/metrics,
 * counted per outcome and mode, labelled by cluster; nothing of them on the public port.
 */
@QuarkusTest
public class MetricsEndpointTest {

    /** The metrics, from the management interface (its own port; the public one does not serve them). */
    public static String scrape() {
        int port = ConfigProvider.getConfig().getValue("quarkus.management.test-port", Integer.class);
        return given().port(port).get("/q/metrics").then().statusCode(200).extract().asString();
    }

    /** The value of one sample, 0 when absent (other tests share the application). */
    static double sample(String metrics, String name, String labels) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{" + labels + "\\} ([0-9.E+-]+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    static void post(String example) throws Exception {
        given().contentType("application/json").body(Files.readString(Path.of("../examples", example + ".json")))
                .post("/mutate").then().statusCode(200);
    }

    @Test
    void admissionsAreCountedByOutcomeAndModeAndTimedPerCluster() throws Exception {
        String mutatedIrsa = "cluster=\"default\",mode=\"sts_web_identity\",outcome=\"mutated\"";
        String mutatedPodIdentity = "cluster=\"default\",mode=\"container_credentials\",outcome=\"mutated\"";
        String notMutated = "cluster=\"default\",mode=\"none\",outcome=\"not-mutated\"";
        String errors = "cluster=\"default\",mode=\"none\",outcome=\"error\"";
        String before = scrape();

        post("irsa-pod");
        post("windows-pod");
        post("pod-identity");
        post("unannotated-pod");
        given().contentType("application/json").body("{\"kind\":\"AdmissionReview\"}").post("/mutate").then()
                .statusCode(400);

        String after = scrape();
        assertEquals(2, sample(after, "pod_identity_admissions_total", mutatedIrsa)
                - sample(before, "pod_identity_admissions_total", mutatedIrsa), after);
        assertEquals(1, sample(after, "pod_identity_admissions_total", mutatedPodIdentity)
                - sample(before, "pod_identity_admissions_total", mutatedPodIdentity));
        assertEquals(1, sample(after, "pod_identity_admissions_total", notMutated)
                - sample(before, "pod_identity_admissions_total", notMutated));
        assertEquals(1, sample(after, "pod_identity_admissions_total", errors)
                - sample(before, "pod_identity_admissions_total", errors));
        assertEquals(5, sample(after, "pod_identity_admission_duration_seconds_count", "cluster=\"default\"")
                - sample(before, "pod_identity_admission_duration_seconds_count", "cluster=\"default\""));
        for (String le : new String[] {"0.001", "0.002", "0.003", "0.005", "0.007", "0.01"}) {
            assertTrue(after.contains("pod_identity_admission_duration_seconds_bucket{cluster=\"default\",le=\"" + le + "\"}"),
                    "bucket " + le);
        }
    }

    // Contract: docs/contract.md#metrics
    @Test
    void theAdmissionDurationHasTheContractsBuckets() throws Exception {
        post("irsa-pod");

        Matcher bucket = Pattern.compile("(?m)^pod_identity_admission_duration_seconds_bucket\\{cluster=\"default\","
                + "le=\"([^\"]+)\"\\}").matcher(scrape());
        List<String> buckets = new ArrayList<>();
        while (bucket.find()) {
            buckets.add(bucket.group(1).equals("+Inf") ? "+Inf"
                    : new BigDecimal(bucket.group(1)).multiply(BigDecimal.valueOf(1000)).stripTrailingZeros()
                            .toPlainString() + " ms");
        }

        assertEquals(List.of("0.25 ms", "0.5 ms", "1 ms", "2 ms", "3 ms", "5 ms", "7 ms", "10 ms", "25 ms", "50 ms",
                "100 ms", "250 ms", "500 ms", "1000 ms", "2500 ms", "5000 ms", "10000 ms", "+Inf"), buckets);
    }

    // Contract: docs/contract.md#metrics
    @Test
    void theJvmAndProcessMetricsAreServedOnceAnAdmissionWasDecided() throws Exception {
        post("irsa-pod");
        String[] families = {"jvm_classes_loaded_classes", "jvm_gc_overhead", "jvm_memory_used_bytes",
            "jvm_threads_live_threads", "jvm_info_total", "jvm_gc_memory_allocated_bytes_total",
            "process_uptime_seconds", "system_cpu_count", "process_files_open_files"};
        eventually(() -> {
            String metrics = scrape();
            return java.util.Arrays.stream(families).allMatch(f -> metrics.contains("\n" + f));
        }, "the JVM and process metrics on /q/metrics: " + String.join(", ", families));
    }

    // Contract: docs/contract.md#endpoints
    @Test
    void thePublicPortServesNoMetricsButStillTheHealthProbes() {
        assertEquals(404, given().get("/q/metrics").statusCode());
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/health/live").then().statusCode(200);
    }

    @Test
    void uriTagsAreRouteTemplatesNeverRawPaths() {
        given().get("/anything-" + "x".repeat(40)).then().statusCode(404);
        given().post("/mutate/../etc/passwd-probe").then().statusCode(404);
        given().contentType("application/json").body("{}").post("/clusters/unknown-cluster-probe/mutate").then()
                .statusCode(404);
        given().get("/clusters/unknown-oidc-probe/openid/v1/jwks").then().statusCode(404);
        given().contentType("text/plain").body("x").post("/mutate/").then().statusCode(415);
        given().get("/q/health/ready?probe=query-probe").then().statusCode(200);
        for (String path : new String[] {"//mutate", "/mutate;jsessionid=probe1", "/q/health/probe2", "/q/probe3",
            "/q/metrics/probe4", "/clusters/probe5/.well-known/x", "/probe6/", "/%70robe7", "/mutate/probe8",
            "/clusters/probe9/mutate/x", "/q/health/ready/probe10", "/q/dev-ui/probe11", "/q/openapi"}) {
            given().get(path);
            given().contentType("application/json").body("{}").post(path);
        }
        String big = "{\"pad\":\"" + "x".repeat(3 * 1024 * 1024 + 10) + "\"}";
        given().contentType("application/json").body(big).post("/too-large-probe12");
        given().contentType("application/x-www-form-urlencoded").body("a=" + "x".repeat(5000)).post("/form-probe13");
        given().header("Expect", "100-continue").get("/probe14");

        String metrics = scrape();
        Matcher uri = Pattern.compile("http_server_requests_seconds_count\\{[^}]*uri=\"([^\"]*)\"").matcher(metrics);
        java.util.Set<String> uris = new java.util.TreeSet<>();
        while (uri.find()) {
            uris.add(uri.group(1));
        }
        assertTrue(uris.contains("/mutate"), uris.toString());
        java.util.Set<String> allowed = java.util.Set.of("/mutate", "/clusters/{cluster}/mutate",
                "/clusters/{cluster}/.well-known/openid-configuration", "/clusters/{cluster}/openid/v1/jwks",
                "NOT_FOUND", "REDIRECTION", "UNKNOWN");
        for (String tag : uris) {
            assertTrue(allowed.contains(tag), "uri tag " + tag + " of " + uris);
        }
    }
}
