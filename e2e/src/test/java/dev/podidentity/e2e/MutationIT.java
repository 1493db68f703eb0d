package dev.podidentity.e2e;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pods created through the real API server, read back from it: the evidence is what the API server
 * stored after applying the function's patch and validating the result.
 */
class MutationIT {

    static final String ROLE = "arn:aws:iam::111122223333:role/";
    static final String MOUNT = "/var/run/secrets/eks.amazonaws.com/serviceaccount";
    static final String NS = "e2e-mutation";
    /** pod-identity.lookup.fresh-for, as the function runs here (its default). */
    static final Duration FRESH_FOR = Duration.ofSeconds(2);

    static E2eEnvironment env;
    static KubernetesClient k8s;

    @BeforeAll
    static void cluster() {
        env = E2eEnvironment.get();
        k8s = env.client;
        env.serviceAccount(NS, "annotated", Map.of("eks.amazonaws.com/role-arn", ROLE + "annotated"));
        env.serviceAccount(NS, "plain", Map.of());
        env.serviceAccount(NS, "session", Map.of("eks.amazonaws.com/role-arn", ROLE + "session",
                "eks.amazonaws.com/role-session-name", "pod-name", "eks.amazonaws.com/sts-regional-endpoints", "true",
                "eks.amazonaws.com/token-expiration", "3600"));
    }

    static Pod create(Pod pod) {
        return k8s.pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod).create();
    }

    static Pod read(Pod created) {
        return k8s.pods().inNamespace(created.getMetadata().getNamespace()).withName(created.getMetadata().getName())
                .get();
    }

    static PodBuilder pod(String serviceAccount, Container... containers) {
        return new PodBuilder().withNewMetadata().withGenerateName(serviceAccount + "-").withNamespace(NS).endMetadata()
                .withNewSpec().withServiceAccountName(serviceAccount).withContainers(containers).endSpec();
    }

    static Container container(String name) {
        return new ContainerBuilder().withName(name).withImage("registry.example/" + name + ":1").build();
    }

    static List<String> env(Container container) {
        return container.getEnv().stream().map(e -> e.getName() + "="
                + (e.getValueFrom() != null ? "<" + e.getValueFrom().getFieldRef().getFieldPath() + ">" : e.getValue()))
                .toList();
    }

    static Volume volume(Pod pod, String name) {
        return pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst().orElse(null);
    }

    static VolumeMount mount(Container container, String name) {
        return container.getVolumeMounts().stream().filter(m -> m.getName().equals(name)).findFirst().orElse(null);
    }

    // Contract: docs/contract.md#env-vars, docs/contract.md#volume
    @Test
    void anAnnotatedServiceAccountsPodGetsTheVolumeMountsAndEnvironment() {
        Pod pod = read(create(pod("annotated", container("app")).build()));

        Container app = pod.getSpec().getContainers().get(0);
        assertEquals(List.of("AWS_DEFAULT_REGION=" + E2eEnvironment.REGION, "AWS_REGION=" + E2eEnvironment.REGION,
                "AWS_ROLE_ARN=" + ROLE + "annotated", "AWS_WEB_IDENTITY_TOKEN_FILE=" + MOUNT + "/token"), env(app));
        var token = volume(pod, "aws-iam-token").getProjected().getSources().get(0).getServiceAccountToken();
        assertEquals("sts.amazonaws.com", token.getAudience());
        assertEquals(86400L, token.getExpirationSeconds());
        assertEquals("token", token.getPath());
        VolumeMount mount = mount(app, "aws-iam-token");
        assertEquals(MOUNT, mount.getMountPath());
        assertTrue(mount.getReadOnly());
    }

    // Contract: docs/contract.md#identity-modes
    @Test
    void anUnannotatedServiceAccountsPodIsUntouched() {
        Pod pod = read(create(pod("plain", container("app")).build()));

        assertNull(volume(pod, "aws-iam-token"));
        assertTrue(pod.getSpec().getContainers().get(0).getEnv().isEmpty());
    }

    // Contract: docs/contract.md#skip-label
    @Test
    void theSkipLabelKeepsThePodAwayFromTheFunction() {
        Pod pod = read(create(pod("annotated", container("app")).editMetadata()
                .addToLabels("eks.amazonaws.com/skip-pod-identity-webhook", "true").endMetadata().build()));

        assertNull(volume(pod, "aws-iam-token"));
    }

    // Contract: docs/contract.md#patch-shape, docs/contract.md#containers
    @Test
    void nativeSidecarsGrpcProbesAndInitContainersAreAcceptedIntact() {
        Container sidecar = new ContainerBuilder(container("sidecar")).withRestartPolicy("Always")
                .withNewStartupProbe().withNewGrpc().withPort(9090).endGrpc().endStartupProbe().build();
        Container init = new ContainerBuilder(container("migrate")).addNewEnv().withName("MODE").withValue("up").endEnv()
                .build();
        Container app = new ContainerBuilder(container("app")).withNewLivenessProbe().withNewGrpc().withPort(8081)
                .withService("health").endGrpc().endLivenessProbe().build();

        Pod pod = read(create(pod("annotated", app).editSpec().withInitContainers(init, sidecar).endSpec().build()));

        Container storedSidecar = pod.getSpec().getInitContainers().get(1);
        assertEquals("Always", storedSidecar.getRestartPolicy());
        assertEquals(9090, storedSidecar.getStartupProbe().getGrpc().getPort());
        assertEquals("health", pod.getSpec().getContainers().get(0).getLivenessProbe().getGrpc().getService());
        assertEquals("MODE=up", env(pod.getSpec().getInitContainers().get(0)).get(0));
        for (Container c : List.of(pod.getSpec().getInitContainers().get(0), storedSidecar,
                pod.getSpec().getContainers().get(0))) {
            assertTrue(env(c).contains("AWS_ROLE_ARN=" + ROLE + "annotated"), c.getName());
            assertEquals(MOUNT, mount(c, "aws-iam-token").getMountPath(), c.getName());
        }
    }

    // Contract: docs/contract.md#windows
    @Test
    void windowsPodsGetWindowsTokenPaths() {
        Pod pod = read(create(pod("annotated", container("iis")).editSpec().withNewOs().withName("windows").endOs()
                .endSpec().build()));

        assertTrue(env(pod.getSpec().getContainers().get(0)).contains(
                "AWS_WEB_IDENTITY_TOKEN_FILE=C:\\var\\run\\secrets\\eks.amazonaws.com\\serviceaccount\\token"));
    }

    // Contract: docs/contract.md#identity-modes, docs/contract.md#env-vars
    @Test
    void podIdentityServiceAccountsGetContainerCredentials() {
        env.serviceAccount("e2e-pod-identity", "agent", Map.of("eks.amazonaws.com/role-arn", ROLE + "ignored"));
        Pod pod = read(create(pod("agent", container("agent")).editMetadata().withNamespace("e2e-pod-identity")
                .endMetadata().build()));

        assertEquals("enabled", pod.getMetadata().getLabels().get("eks.amazonaws.com/pod-identity"));
        assertEquals(List.of("AWS_DEFAULT_REGION=" + E2eEnvironment.REGION, "AWS_REGION=" + E2eEnvironment.REGION,
                "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.23/v1/credentials",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/"
                        + "eks-pod-identity-token"), env(pod.getSpec().getContainers().get(0)));
        var token = volume(pod, "eks-pod-identity-token").getProjected().getSources().get(0).getServiceAccountToken();
        assertEquals("pods.eks.amazonaws.com", token.getAudience());
        assertTrue(token.getExpirationSeconds() >= 79200 && token.getExpirationSeconds() <= 86400);
    }

    // Contract: docs/contract.md#containers
    @Test
    void skipContainersLeavesTheNamedContainersAlone() {
        Pod pod = read(create(pod("annotated", container("app"), container("istio-proxy")).editMetadata()
                .addToAnnotations("eks.amazonaws.com/skip-containers", "istio-proxy").endMetadata().build()));

        assertFalse(env(pod.getSpec().getContainers().get(0)).isEmpty());
        assertTrue(pod.getSpec().getContainers().get(1).getEnv().isEmpty());
        assertNull(mount(pod.getSpec().getContainers().get(1), "aws-iam-token"));
    }

    // Contract: docs/contract.md#role-session-name
    @Test
    void roleSessionNameComesFromTheDownwardApiAndTheApiServerAcceptsIt() {
        Pod pod = read(create(pod("session", container("app")).build()));

        List<EnvVar> envs = pod.getSpec().getContainers().get(0).getEnv();
        assertEquals(List.of("AWS_STS_REGIONAL_ENDPOINTS=regional", "AWS_DEFAULT_REGION=" + E2eEnvironment.REGION,
                "AWS_REGION=" + E2eEnvironment.REGION, "AWS_ROLE_ARN=" + ROLE + "session",
                "AWS_WEB_IDENTITY_TOKEN_FILE=" + MOUNT + "/token", "AWS_ROLE_SESSION_NAME=<metadata.name>"),
                env(pod.getSpec().getContainers().get(0)));
        assertEquals("v1", envs.get(5).getValueFrom().getFieldRef().getApiVersion(), "defaulted by the API server");
        assertEquals(3600L, volume(pod, "aws-iam-token").getProjected().getSources().get(0).getServiceAccountToken()
                .getExpirationSeconds());
    }

    // Contract: docs/contract.md#lookups
    @Test
    void aPodCreatedTwoSecondsAfterItsServiceAccountIsAnnotatedIsMutated() throws Exception {
        env.serviceAccount(NS, "late", Map.of());
        assertNull(volume(read(create(pod("late", container("app")).build())), "aws-iam-token"), "cached unannotated");

        env.serviceAccount(NS, "late", Map.of("eks.amazonaws.com/role-arn", ROLE + "late"));
        // The API server has stored the annotation by now: T is at the latest this moment. The pod
        // is created once T + fresh-for has passed, as the promise says, and not a margin later.
        long annotated = System.nanoTime();
        for (long left = FRESH_FOR.toNanos(); left > 0; left = annotated + FRESH_FOR.toNanos() - System.nanoTime()) {
            TimeUnit.NANOSECONDS.sleep(left);
        }

        Pod pod = read(create(pod("late", container("app")).build()));
        assertTrue(env(pod.getSpec().getContainers().get(0)).contains("AWS_ROLE_ARN=" + ROLE + "late"));
    }

    // Contract: docs/contract.md#admission-review
    @Test
    void aDryRunCreateIsMutatedAndNotStored() {
        Pod answer = k8s.pods().inNamespace(NS).resource(pod("annotated", container("app")).editMetadata()
                .withGenerateName(null).withName("dry-run-pod").endMetadata().build()).dryRun().create();

        assertTrue(env(answer.getSpec().getContainers().get(0)).contains("AWS_ROLE_ARN=" + ROLE + "annotated"));
        assertNull(k8s.pods().inNamespace(NS).withName("dry-run-pod").get());
    }
}
