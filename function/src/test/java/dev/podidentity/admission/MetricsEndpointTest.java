package dev.podidentity.admission;

import io.quarkus.test.junit.QuarkusTest;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SPEC §8 admission metrics on /q/metrics, counted per outcome and mode, labelled by cluster. */
@QuarkusTest
class MetricsEndpointTest {

    static String scrape() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
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
}
