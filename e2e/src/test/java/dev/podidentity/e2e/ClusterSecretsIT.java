package dev.podidentity.e2e;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.FileInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clusters registered as Secrets, on real API servers: three kube-apiservers, the first also holding
 * the Secrets. The function reads them as the shared overlay deploys it: with a ServiceAccount bound
 * to the overlay's own Role (get and list of Secrets in its namespace, nothing else). Thirty
 * clusters, ten on each API server, each reaching its API server with its own ServiceAccount token
 * over TLS; each API server also calls the function as a webhook for its own cluster id, with its
 * own caller token.
 */
// Contract: docs/contract.md#cluster-secrets, docs/contract.md#multi-cluster
class ClusterSecretsIT {

    static final String ROLE = "arn:aws:iam::111122223333:role/";
    static final String NAMESPACE = "pod-identity";
    static final List<String> SERVERS = List.of("a", "b", "c");
    static final int CLUSTERS = 30;
    static final ObjectMapper JSON = new ObjectMapper();

    static Path work;
    static Path log;
    static final Map<String, Path> dirs = new LinkedHashMap<>();
    static final Map<String, KubernetesClient> clients = new LinkedHashMap<>();
    static final Map<String, Map<String, String>> envs = new LinkedHashMap<>();
    static Process function;
    static int httpsPort;
    static Pki pki;
    static HttpClient http;

    @BeforeAll
    static void threeApiServersAndTheirClustersAsSecrets() throws Exception {
        work = Harness.work("cluster-secrets");
        log = work.resolve("e2e.log");
        httpsPort = E2eEnvironment.freePort();
        for (String server : SERVERS) {
            // Each API server presents its own caller token to every webhook it calls.
            Path kubeconfig = Files.writeString(work.resolve(server + "-webhook.kubeconfig"), """
                    apiVersion: v1
                    kind: Config
                    users:
                    - name: "*"
                      user:
                        token: "caller-of-member-%s"
                    """.formatted(server));
            Path admission = Files.writeString(work.resolve(server + "-admission.yaml"), """
                    apiVersion: apiserver.config.k8s.io/v1
                    kind: AdmissionConfiguration
                    plugins:
                    - name: MutatingAdmissionWebhook
                      configuration:
                        apiVersion: apiserver.config.k8s.io/v1
                        kind: WebhookAdmissionConfiguration
                        kubeConfigFile: "%s"
                    """.formatted(kubeconfig));
            Path dir = work.resolve(server);
            envs.put(server, Harness.startCluster(work, dir, "--admission-control-config-file", admission.toString()));
            dirs.put(server, dir);
            KubernetesClient k8s = new KubernetesClientBuilder().withConfig(
                    Config.fromKubeconfig(Files.readString(dir.resolve("admin.kubeconfig")))).build();
            clients.put(server, k8s);
            for (String namespace : List.of("apps", "readers")) {
                k8s.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata()
                        .build()).create();
            }
            k8s.serviceAccounts().inNamespace("apps").resource(new ServiceAccountBuilder().withNewMetadata()
                    .withName("app").addToAnnotations("eks.amazonaws.com/role-arn", ROLE + "on-" + server)
                    .endMetadata().build()).create();
            k8s.rbac().clusterRoles().resource(new ClusterRoleBuilder().withNewMetadata().withName("sa-reader")
                    .endMetadata().addNewRule().withApiGroups("").withResources("serviceaccounts").withVerbs("get")
                    .endRule().build()).create();
        }
        KubernetesClient hub = clients.get("a");
        hub.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
                .create();
        for (int i = 0; i < CLUSTERS; i++) {
            secret(clusterId(i), SERVERS.get(i % SERVERS.size()), true);
        }
        pki = new Pki(dirs.get("a").resolve("pki/ca.crt"), dirs.get("a").resolve("pki/ca.key"), log);
        pki.issue(work.resolve("tls"));
        http = HttpClient.newBuilder().sslContext(Pki.trustAll()).build();
        startFunction();
        for (String server : SERVERS) {
            clients.get(server).admissionRegistration().v1().mutatingWebhookConfigurations().resource(
                    new MutatingWebhookConfigurationBuilder().withNewMetadata().withName("pod-identity").endMetadata()
                            .addNewWebhook().withName("pod-identity.e2e.podidentity.dev")
                            .withAdmissionReviewVersions("v1").withSideEffects("None").withFailurePolicy("Fail")
                            .withNewClientConfig()
                            .withUrl("https://127.0.0.1:" + httpsPort + "/clusters/member-" + server + "/mutate")
                            .withCaBundle(Base64.getEncoder().encodeToString(Files.readAllBytes(pki.ca())))
                            .endClientConfig()
                            .addNewRule().withApiGroups("").withApiVersions("v1").withOperations("CREATE")
                            .withResources("pods").endRule()
                            .withNewNamespaceSelector().addToMatchLabels("kubernetes.io/metadata.name", "apps")
                            .endNamespaceSelector().endWebhook().build()).create();
        }
    }

    /** Cluster ids: member-a, member-b, member-c (their API servers call them), then fleet-3 … */
    static String clusterId(int i) {
        return i < SERVERS.size() ? "member-" + SERVERS.get(i) : "fleet-" + i;
    }

    /**
     * The Secret of a cluster on an API server: a kubeconfig with a reader of its own (a
     * ServiceAccount token, and `get` on ServiceAccounts unless {@code allowed} is false), the
     * caller token of its API server (member-*) or of its own, and a region of its own.
     */
    static void secret(String id, String server, boolean allowed) throws Exception {
        KubernetesClient k8s = clients.get(server);
        String reader = "reader-" + id;
        k8s.serviceAccounts().inNamespace("readers").resource(new ServiceAccountBuilder().withNewMetadata()
                .withName(reader).endMetadata().build()).create();
        if (allowed) {
            k8s.rbac().clusterRoleBindings().resource(new ClusterRoleBindingBuilder().withNewMetadata()
                    .withName(reader).endMetadata().withNewRoleRef().withApiGroup("rbac.authorization.k8s.io")
                    .withKind("ClusterRole").withName("sa-reader").endRoleRef().addNewSubject()
                    .withKind("ServiceAccount").withName(reader).withNamespace("readers").endSubject().build())
                    .create();
        }
        String token = k8s.serviceAccounts().inNamespace("readers").withName(reader).tokenRequest(
                new TokenRequestBuilder().withNewSpec().withExpirationSeconds(7200L).endSpec().build())
                .getStatus().getToken();
        String kubeconfig = """
                apiVersion: v1
                kind: Config
                clusters: [{name: %1$s, cluster: {server: "%2$s", certificate-authority-data: "%3$s"}}]
                users: [{name: reader, user: {token: "%4$s"}}]
                contexts: [{name: %1$s, context: {cluster: %1$s, user: reader}}]
                current-context: %1$s
                """.formatted(id, envs.get(server).get("APISERVER_URL"),
                Base64.getEncoder().encodeToString(Files.readAllBytes(Path.of(envs.get(server).get("CA_FILE")))),
                token);
        String caller = "caller-of-" + id;
        clients.get("a").secrets().inNamespace(NAMESPACE).resource(new SecretBuilder().withNewMetadata()
                .withName(id + "-kubeconfig").addToLabels("pod-identity.dev/cluster", id).endMetadata()
                .addToStringData("value", kubeconfig).addToStringData("caller-token", caller)
                .addToStringData("aws-default-region", "region-of-" + id).build()).create();
    }

    /**
     * The function as the shared overlay runs it: Secrets read with a ServiceAccount that has the
     * overlay's Role only, through a kubeconfig of that token.
     */
    static void startFunction() throws Exception {
        KubernetesClient hub = clients.get("a");
        hub.serviceAccounts().inNamespace(NAMESPACE).resource(new ServiceAccountBuilder().withNewMetadata()
                .withName("pod-identity").endMetadata().build()).create();
        try (FileInputStream rbac = new FileInputStream(Harness.repository()
                .resolve("knative/overlays/shared/cluster-secrets-rbac.yaml").toFile())) {
            for (HasMetadata object : hub.load(rbac).items()) {
                hub.resource(object).create();
            }
        }
        String token = hub.serviceAccounts().inNamespace(NAMESPACE).withName("pod-identity").tokenRequest(
                new TokenRequestBuilder().withNewSpec().withExpirationSeconds(7200L).endSpec().build())
                .getStatus().getToken();
        Map<String, String> env = envs.get("a");
        Path kubeconfig = Files.writeString(work.resolve("function.kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters: [{name: hub, cluster: {server: "%s", certificate-authority: "%s"}}]
                users: [{name: function, user: {token: "%s"}}]
                contexts: [{name: hub, context: {cluster: hub, user: function, namespace: %s}}]
                current-context: hub
                """.formatted(env.get("APISERVER_URL"), env.get("CA_FILE"), token, NAMESPACE));
        List<String> properties = List.of(
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + E2eEnvironment.freePort(),
                "-Dquarkus.http.ssl-port=" + httpsPort,
                "-Dquarkus.http.ssl.certificate.files=" + work.resolve("tls/tls.crt"),
                "-Dquarkus.http.ssl.certificate.key-files=" + work.resolve("tls/tls.key"),
                "-Dkubeconfig=" + kubeconfig,
                "-Dkubernetes.auth.tryServiceAccount=false",
                "-Dpod-identity.caller-token-file=" + work.resolve("no-such-token"),
                "-Dpod-identity.service-accounts-file=" + work.resolve("no-service-accounts.yaml"),
                "-Dpod-identity.cluster-secrets.enabled=true",
                // The bound is 30 s by default; a short one keeps this test short, the promise is the same.
                "-Dpod-identity.cluster-secrets.fresh-for=3s");
        function = Harness.startFunction(work, properties, () -> http.send(HttpRequest.newBuilder(
                URI.create("https://127.0.0.1:" + httpsPort + "/q/health/ready")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    }

    @AfterAll
    static void stop() throws Exception {
        Harness.stop(function);
        clients.values().forEach(KubernetesClient::close);
        for (Path dir : dirs.values()) {
            Harness.stopCluster(work, dir);
        }
    }

    /** Posts a review of a pod of apps/app to a cluster's path, with a caller token. */
    static HttpResponse<String> post(String cluster, String token) throws Exception {
        ObjectNode review = (ObjectNode) JSON.readTree(Files.readString(Harness.repository()
                .resolve("examples/irsa-pod.json")));
        ((ObjectNode) review.get("request")).put("namespace", "apps");
        ((ObjectNode) review.at("/request/object/spec")).put("serviceAccountName", "app");
        return http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + httpsPort + "/clusters/" + cluster
                + "/mutate")).header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(review))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The patch of an answer, decoded, as text (empty when the pod was not mutated). */
    static String patch(HttpResponse<String> answer) throws Exception {
        assertEquals(200, answer.statusCode(), answer.body());
        JsonNode response = JSON.readTree(answer.body()).get("response");
        return response.has("patch")
                ? new String(Base64.getDecoder().decode(response.get("patch").asText()), StandardCharsets.UTF_8) : "";
    }

    static String env(Pod pod, String name) {
        return pod.getSpec().getContainers().get(0).getEnv().stream().filter(e -> e.getName().equals(name))
                .map(e -> e.getValue()).findFirst().orElse(null);
    }

    @Test
    void eachApiServerCallsItsClustersPathAndItsPodsGetItsRoleAndItsSecretsRegion() {
        for (String server : SERVERS) {
            KubernetesClient k8s = clients.get(server);
            Pod created = k8s.pods().inNamespace("apps").resource(new PodBuilder().withNewMetadata()
                    .withGenerateName("app-").endMetadata().withNewSpec().withServiceAccountName("app")
                    .addNewContainer().withName("app").withImage("busybox").endContainer().endSpec().build()).create();

            assertEquals(ROLE + "on-" + server, env(created, "AWS_ROLE_ARN"), "API server " + server);
            assertEquals("region-of-member-" + server, env(created, "AWS_REGION"));
        }
    }

    @Test
    void thirtyClustersOnThreeApiServersAreEachServedWithTheirOwnIdentityAndSettings() throws Exception {
        for (int i = 0; i < CLUSTERS; i++) {
            String id = clusterId(i);
            String patch = patch(post(id, "caller-of-" + id));

            assertTrue(patch.contains(ROLE + "on-" + SERVERS.get(i % SERVERS.size())), id + ": " + patch);
            assertTrue(patch.contains("region-of-" + id), id + ": " + patch);
        }
        assertEquals(401, post("fleet-4", "caller-of-fleet-5").statusCode(), "another cluster's token");
    }

    @Test
    void aClusterIsReadWithItsOwnIdentity() throws Exception {
        secret("forbidden", "b", false); // its reader may not read ServiceAccounts

        JsonNode answer = JSON.readTree(post("forbidden", "caller-of-forbidden").body()).get("response");

        assertTrue(answer.get("allowed").asBoolean());
        assertTrue(answer.path("patch").isMissingNode(), answer.toString());
        assertTrue(answer.at("/warnings/0").asText().startsWith("ServiceAccount apps/app lookup failed"),
                answer.toString());
        assertTrue(Files.readString(work.resolve("function.log")).contains(
                "\"cluster\":\"forbidden\""), "its decision logged");
    }

    @Test
    void aClusterAddedWhileTheFunctionRunsIsServedAndOnceRemovedAnswers404WithinTheBound() throws Exception {
        assertEquals(404, post("late", "caller-of-late").statusCode(), "not registered yet");

        // The bound is 3 s here (fresh-for); the polls allow for a busy machine, and fail past that.
        secret("late", "c", true);
        awaitStatus("late", 200, Duration.ofSeconds(15));
        assertTrue(patch(post("late", "caller-of-late")).contains("region-of-late"));

        clients.get("a").secrets().inNamespace(NAMESPACE).withName("late-kubeconfig").delete();
        awaitStatus("late", 404, Duration.ofSeconds(15));
    }

    /** Polls the cluster's path until it answers the status, at most for the wait. */
    static void awaitStatus(String cluster, int status, Duration wait) throws Exception {
        long deadline = System.nanoTime() + wait.toNanos();
        List<Integer> seen = new ArrayList<>();
        while (true) {
            int now = post(cluster, "caller-of-" + cluster).statusCode();
            seen.add(now);
            if (now == status) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("cluster " + cluster + " never answered " + status + ": " + seen);
            }
            Thread.sleep(200);
        }
    }
}
