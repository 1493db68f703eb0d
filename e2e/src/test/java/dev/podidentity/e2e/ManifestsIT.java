package dev.podidentity.e2e;

import io.fabric8.knative.serving.v1.Service;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped manifests against the real API server: every built-in object of every overlay is
 * accepted, the RBAC is least privilege, the webhook configuration keeps the platform's namespaces
 * out, and the Knative Services use only fields of the Knative Serving schema.
 */
class ManifestsIT {

    static final String SUBJECT = "system:serviceaccount:pod-identity:pod-identity";
    static final Set<String> CUSTOM_RESOURCES = Set.of("Service.serving.knative.dev", "Certificate.cert-manager.io",
            "Issuer.cert-manager.io", "ClusterIssuer.cert-manager.io");

    static E2eEnvironment env;

    @BeforeAll
    static void cluster() {
        env = E2eEnvironment.get();
    }

    static boolean custom(HasMetadata object) {
        String group = object.getApiVersion().contains("/") ? object.getApiVersion().split("/")[0] : "";
        return CUSTOM_RESOURCES.contains(object.getKind() + "." + group);
    }

    @Test
    void everyBuiltInObjectOfEveryOverlayIsAcceptedByTheApiServer() {
        for (String overlay : List.of("overlays/single-cluster", "overlays/shared", "overlays/shared/member-cluster",
                "overlays/deployment")) {
            List<HasMetadata> objects = Manifests.render(env, overlay);
            assertFalse(objects.isEmpty(), overlay);
            Manifests.apply(env.client, objects.stream().filter(o -> !custom(o)).toList(), List.of("Namespace"));
        }
    }

    // Contract: docs/contract.md#lookups
    @Test
    void theFunctionMayGetServiceAccountsAndNothingElse() {
        assertTrue(allowed("get", "serviceaccounts", "any-namespace"));
        assertFalse(allowed("list", "serviceaccounts", "any-namespace"));
        assertFalse(allowed("watch", "serviceaccounts", "any-namespace"));
        assertFalse(allowed("get", "secrets", "any-namespace"));
        assertFalse(allowed("get", "configmaps", "eks"), "only with the mapping component");
        assertFalse(allowed("create", "pods", "any-namespace"));
    }

    static boolean allowed(String verb, String resource, String namespace) {
        SubjectAccessReview review = env.client.authorization().v1().subjectAccessReview().create(
                new SubjectAccessReviewBuilder().withNewSpec().withUser(SUBJECT)
                        .withGroups("system:serviceaccounts", "system:serviceaccounts:pod-identity", "system:authenticated")
                        .withNewResourceAttributes().withVerb(verb).withResource(resource).withNamespace(namespace)
                        .endResourceAttributes().endSpec().build());
        return review.getStatus().getAllowed();
    }

    // Contract: docs/contract.md#skip-label
    @Test
    void theWebhookConfigurationKeepsThePlatformOutAndRunsAgainAfterOtherWebhooks() {
        for (String overlay : List.of("overlays/single-cluster", "overlays/deployment")) {
            MutatingWebhookConfiguration configuration = Manifests.render(env, overlay).stream()
                    .filter(MutatingWebhookConfiguration.class::isInstance).map(MutatingWebhookConfiguration.class::cast)
                    .findFirst().orElseThrow();
            MutatingWebhook webhook = configuration.getWebhooks().get(0);

            assertEquals(List.of("v1"), webhook.getAdmissionReviewVersions(), overlay);
            assertEquals("None", webhook.getSideEffects());
            assertEquals("IfNeeded", webhook.getReinvocationPolicy());
            assertEquals("Ignore", webhook.getFailurePolicy());
            assertEquals(List.of("CREATE"), webhook.getRules().get(0).getOperations());
            assertEquals(List.of("pods"), webhook.getRules().get(0).getResources());
            assertEquals("eks.amazonaws.com/skip-pod-identity-webhook",
                    webhook.getObjectSelector().getMatchExpressions().get(0).getKey());
            assertTrue(webhook.getNamespaceSelector().getMatchExpressions().get(0).getValues()
                    .containsAll(List.of("kube-system", "knative-serving", "pod-identity")), overlay);
        }
    }

    @Test
    void theKnativeServicesUseOnlyKnativeServingFields() throws Exception {
        for (String overlay : List.of("overlays/single-cluster", "overlays/shared")) {
            Service service = Manifests.render(env, overlay).stream().filter(Service.class::isInstance)
                    .map(Service.class::cast).findFirst().orElseThrow(() -> new AssertionError("no Knative Service in " + overlay));

            List<String> unknown = new ArrayList<>();
            unknownFields(service, "Service", unknown, new IdentityHashMap<>());
            assertEquals(List.of(), unknown, overlay);
            Map<String, String> annotations = service.getSpec().getTemplate().getMetadata().getAnnotations();
            assertEquals("0", annotations.get("autoscaling.knative.dev/min-scale"), overlay);
            Container container = service.getSpec().getTemplate().getSpec().getContainers().get(0);
            assertEquals("/q/health/ready", container.getReadinessProbe().getHttpGet().getPath());
            assertEquals("/q/health/live", container.getLivenessProbe().getHttpGet().getPath());
            assertTrue(container.getSecurityContext().getReadOnlyRootFilesystem());
            assertTrue(container.getSecurityContext().getRunAsNonRoot());
            assertTrue(container.getResources().getLimits().containsKey("memory"));
        }
    }

    /**
     * The AOT cache is trained with knative/image.conf's JVM_FLAGS, and every overlay replaces the
     * image's JAVA_TOOL_OPTIONS with its own: a flag one of them drops or adds is a pod that starts
     * unlike every measurement.
     */
    @Test
    void everyOverlayStartsTheJvmWithTheFlagsTheImageIsTrainedWith() throws Exception {
        List<String> trained = new ArrayList<>(List.of("-XX:AOTCache=/deployments/app.aot"));
        trained.addAll(imageJvmFlags());
        assertTrue(trained.contains("-XX:TieredStopAtLevel=1"), "image.conf: " + trained);
        Map<String, List<String>> expected = Map.of(
                "overlays/single-cluster", trained,
                "overlays/shared", trained,
                "overlays/deployment", trained);
        for (var overlay : expected.entrySet()) {
            List<Container> containers = Manifests.render(env, overlay.getKey()).stream()
                    .flatMap(ManifestsIT::workloadContainers).toList();
            assertEquals(1, containers.size(), overlay.getKey());
            String options = containers.get(0).getEnv().stream().filter(e -> e.getName().equals("JAVA_TOOL_OPTIONS"))
                    .findFirst().orElseThrow(() -> new AssertionError("no JAVA_TOOL_OPTIONS in " + overlay.getKey()))
                    .getValue();
            assertEquals(overlay.getValue(), List.of(options.trim().split("\\s+")), overlay.getKey());
        }
    }

    static List<String> imageJvmFlags() throws Exception {
        for (String line : Files.readAllLines(env.repository.resolve("knative/image.conf"))) {
            if (line.startsWith("JVM_FLAGS=\"")) {
                return List.of(line.substring("JVM_FLAGS=\"".length(), line.lastIndexOf('"')).trim().split("\\s+"));
            }
        }
        throw new AssertionError("no JVM_FLAGS line in knative/image.conf");
    }

    /** The containers of a Knative Service or a Deployment; none of any other object. */
    static Stream<Container> workloadContainers(HasMetadata object) {
        return switch (object) {
            case Service service -> service.getSpec().getTemplate().getSpec().getContainers().stream();
            case Deployment deployment -> deployment.getSpec().getTemplate().getSpec().getContainers().stream();
            default -> Stream.empty();
        };
    }

    /** Collects the paths of every field the typed model did not know (kept in additionalProperties). */
    static void unknownFields(Object node, String path, List<String> unknown, Map<Object, Boolean> seen)
            throws Exception {
        if (node == null || seen.put(node, true) != null) {
            return;
        }
        if (node instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                unknownFields(item, path + "[" + i++ + "]", unknown, seen);
            }
            return;
        }
        if (node instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                unknownFields(e.getValue(), path + "." + e.getKey(), unknown, seen);
            }
            return;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get")
                    || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Object value = getter.invoke(node);
            if (getter.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    unknown.add(path + " " + extra.keySet());
                }
            } else {
                unknownFields(value, path + "." + getter.getName().substring(3), unknown, seen);
            }
        }
    }
}
