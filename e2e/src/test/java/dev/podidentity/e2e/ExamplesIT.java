package dev.podidentity.e2e;

import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every AdmissionReview in examples/: its pod, created for real, is accepted with the function's patch. */
// Contract: docs/contract.md#admission-review, docs/contract.md#patch-shape
class ExamplesIT {

    static E2eEnvironment env;
    static KubernetesClient k8s;

    @BeforeAll
    static void serviceAccountsFromTheExamples() throws Exception {
        env = E2eEnvironment.get();
        k8s = env.client;
        env.namespace("shop");
        try (InputStream in = Files.newInputStream(env.repository.resolve("examples/service-accounts.yaml"))) {
            for (HasMetadata item : k8s.load(in).items()) {
                k8s.resource(item).createOr(c -> c.update());
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> everyExampleIsAcceptedByTheApiServer() throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        try (var files = Files.list(env.repository.resolve("examples"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                JsonNode review = Serialization.jsonMapper().readTree(file.toFile());
                if (!review.has("request")) {
                    continue; // not an AdmissionReview (the Pod Identity associations file)
                }
                tests.add(DynamicTest.dynamicTest(file.getFileName().toString(), () -> created(review)));
            }
        }
        assertTrue(tests.size() >= 6, "examples found: " + tests.size());
        return tests.stream();
    }

    static void created(JsonNode review) throws Exception {
        String namespace = review.at("/request/namespace").asText();
        Pod pod = Serialization.jsonMapper().treeToValue(review.at("/request/object"), Pod.class);
        Pod created = k8s.pods().inNamespace(namespace).resource(pod).create();
        Pod stored = k8s.pods().inNamespace(namespace).withName(created.getMetadata().getName()).get();

        String serviceAccount = stored.getSpec().getServiceAccountName();
        boolean expectsCredentials = !serviceAccount.equals("default");
        String skipped = pod.getMetadata().getAnnotations() == null ? ""
                : pod.getMetadata().getAnnotations().getOrDefault("eks.amazonaws.com/skip-containers", "");
        List<Container> all = new ArrayList<>(stored.getSpec().getInitContainers());
        all.addAll(stored.getSpec().getContainers());
        for (Container container : all) {
            boolean hasCredentials = container.getEnv().stream().anyMatch(e -> e.getName().equals("AWS_ROLE_ARN")
                    || e.getName().equals("AWS_CONTAINER_CREDENTIALS_FULL_URI"));
            boolean selected = expectsCredentials && !skipped.contains(container.getName());
            assertEquals(selected, hasCredentials, container.getName() + " of " + serviceAccount);
        }
        if (!expectsCredentials) {
            assertFalse(stored.getSpec().getVolumes().stream().anyMatch(v -> v.getName().equals("aws-iam-token")));
        }
    }
}
