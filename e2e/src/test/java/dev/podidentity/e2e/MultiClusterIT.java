package dev.podidentity.e2e;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One running function serving two real API servers at {@code /clusters/one/mutate} and
 * {@code /clusters/two/mutate}. Each API server authenticates through its AdmissionConfiguration
 * kubeconfig: one with a bearer token, two with a client certificate (mTLS); both hold a
 * ServiceAccount {@code apps/app} with a different role, and a ServiceAccount {@code apps/agent}
 * that only cluster one's own Pod Identity associations file lists. A webhook of cluster two
 * calling cluster one's path lacks one's token: it is refused and, with {@code failurePolicy: Ignore},
 * its pods are admitted unmutated.
 */
// Contract: docs/contract.md#multi-cluster, docs/contract.md#caller-authentication
class MultiClusterIT {

    static final String ROLE = "arn:aws:iam::111122223333:role/";

    static Path work;
    static Path log;
    static final Map<String, Path> dirs = new HashMap<>();
    static final Map<String, KubernetesClient> clients = new HashMap<>();
    static Process function;
    static int httpsPort;
    static Pki pki;

    @BeforeAll
    static void twoClustersOneFunction() throws Exception {
        work = Harness.work("multi-cluster");
        log = work.resolve("e2e.log");
        httpsPort = E2eEnvironment.freePort();
        // Callers' CA: the function trusts client certificates it signed.
        Path callersCa = work.resolve("callers-ca");
        Files.createDirectories(callersCa);
        Shell.run(callersCa, log, 60, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=callers-ca", "-keyout", "ca.key", "-out", "ca.crt");
        new Pki(callersCa.resolve("ca.crt"), callersCa.resolve("ca.key"), log).issueClient(callersCa,
                "/O=cluster-two/CN=kube-apiserver");
        for (String cluster : List.of("one", "two")) {
            Path dir = work.resolve(cluster);
            // What this API server presents to webhooks: one a token, two a client certificate.
            String credentials = cluster.equals("one") ? "token: \"one-caller-token\""
                    : "client-certificate: \"" + callersCa.resolve("client.crt") + "\"\n    client-key: \""
                            + callersCa.resolve("client.key") + "\"";
            Path kubeconfig = Files.writeString(work.resolve(cluster + "-webhook.kubeconfig"), """
                    apiVersion: v1
                    kind: Config
                    users:
                    - name: "*"
                      user:
                        %s
                    """.formatted(credentials));
            Path admission = Files.writeString(work.resolve(cluster + "-admission.yaml"), """
                    apiVersion: apiserver.config.k8s.io/v1
                    kind: AdmissionConfiguration
                    plugins:
                    - name: MutatingAdmissionWebhook
                      configuration:
                        apiVersion: apiserver.config.k8s.io/v1
                        kind: WebhookAdmissionConfiguration
                        kubeConfigFile: "%s"
                    """.formatted(kubeconfig));
            Harness.startCluster(work, dir, "--admission-control-config-file", admission.toString());
            dirs.put(cluster, dir);
            clients.put(cluster, new KubernetesClientBuilder().withConfig(
                    Config.fromKubeconfig(Files.readString(dir.resolve("admin.kubeconfig")))).build());
        }
        pki = new Pki(dirs.get("one").resolve("pki/ca.crt"), dirs.get("one").resolve("pki/ca.key"), log);
        pki.issue(work.resolve("tls"));
        startFunction();
        for (String cluster : List.of("one", "two")) {
            KubernetesClient k8s = clients.get(cluster);
            k8s.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("apps").endMetadata().build())
                    .create();
            k8s.serviceAccounts().inNamespace("apps").resource(new ServiceAccountBuilder().withNewMetadata()
                    .withName("app").addToAnnotations("eks.amazonaws.com/role-arn", ROLE + cluster + "-app")
                    .endMetadata().build()).create();
            k8s.serviceAccounts().inNamespace("apps").resource(new ServiceAccountBuilder().withNewMetadata()
                    .withName("agent").endMetadata().build()).create();
            List<MutatingWebhook> webhooks = new ArrayList<>();
            webhooks.add(webhook(cluster, cluster, "Fail", "NotIn"));
            if (cluster.equals("two")) {
                // Cluster two calling cluster one's endpoint: its token is not one's.
                webhooks.add(webhook("wrong-token", "one", "Ignore", "In"));
                k8s.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("wrong-token")
                        .endMetadata().build()).create();
                k8s.serviceAccounts().inNamespace("wrong-token").resource(new ServiceAccountBuilder()
                        .withNewMetadata().withName("app").addToAnnotations("eks.amazonaws.com/role-arn",
                                ROLE + "never").endMetadata().build()).create();
            }
            k8s.admissionRegistration().v1().mutatingWebhookConfigurations().resource(
                    new MutatingWebhookConfigurationBuilder().withNewMetadata().withName("pod-identity").endMetadata()
                            .withWebhooks(webhooks).build()).create();
        }
        awaitWebhooks();
    }

    /**
     * Returns once both API servers send their pods to the function: they pick webhook
     * configurations up asynchronously, so poll with dry-run creates (e2e/README.md).
     */
    static void awaitWebhooks() throws Exception {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
        for (String cluster : List.of("one", "two")) {
            while (!(ROLE + cluster + "-app").equals(role(dryRun(cluster, "apps")))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("cluster " + cluster + " never applied its webhook configuration");
                }
                Thread.sleep(250);
            }
        }
        // Cluster two's webhook to cluster one's path is refused, which only the function's log shows.
        while (!Files.readString(work.resolve("function.log"))
                .contains("refused an admission request for cluster one: missing or wrong bearer token")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("cluster two never applied its webhook to cluster one's path");
            }
            dryRun("two", "wrong-token");
            Thread.sleep(250);
        }
    }

    static Pod dryRun(String cluster, String namespace) {
        return clients.get(cluster).pods().inNamespace(namespace).resource(new PodBuilder().withNewMetadata()
                .withGenerateName("probe-").endMetadata().withNewSpec().withServiceAccountName("app")
                .addNewContainer().withName("app").withImage("busybox").endContainer().endSpec().build())
                .dryRun().create();
    }

    /** A webhook to {@code /clusters/<target>/mutate} for the namespace {@code wrong-token} (In) or all others (NotIn). */
    static MutatingWebhook webhook(String name, String target, String failurePolicy, String wrongTokenNamespace)
            throws Exception {
        return new MutatingWebhookBuilder()
                .withName(name + ".e2e.podidentity.dev")
                .withAdmissionReviewVersions("v1").withSideEffects("None").withFailurePolicy(failurePolicy)
                .withNewClientConfig().withUrl("https://127.0.0.1:" + httpsPort + "/clusters/" + target + "/mutate")
                .withCaBundle(Base64.getEncoder().encodeToString(Files.readAllBytes(pki.ca()))).endClientConfig()
                .addNewRule().withApiGroups("").withApiVersions("v1").withOperations("CREATE").withResources("pods")
                .endRule()
                .withNewNamespaceSelector().addNewMatchExpression().withKey("kubernetes.io/metadata.name")
                .withOperator(wrongTokenNamespace).withValues("wrong-token").endMatchExpression().endNamespaceSelector()
                .build();
    }

    static void startFunction() throws Exception {
        List<String> properties = new ArrayList<>(List.of(
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + E2eEnvironment.freePort(),
                "-Dquarkus.http.ssl-port=" + httpsPort,
                "-Dquarkus.http.ssl.certificate.files=" + work.resolve("tls/tls.crt"),
                "-Dquarkus.http.ssl.certificate.key-files=" + work.resolve("tls/tls.key"),
                // /mutate serves no cluster here: its caller token file does not exist, so it lets no one in
                "-Dpod-identity.caller-token-file=" + work.resolve("no-such-token"),
                "-Dquarkus.http.ssl.client-auth=request",
                "-Dquarkus.http.ssl.certificate.trust-store-file=" + work.resolve("callers-ca/ca.crt"),
                "-Dquarkus.http.ssl.certificate.trust-store-file-type=PEM",
                "-Dpod-identity.clusters.two.caller-certificate-subject=CN=kube-apiserver,O=cluster-two",
                "-Dpod-identity.service-accounts-file=" + work.resolve("no-service-accounts.yaml")));
        for (String cluster : List.of("one", "two")) {
            Map<String, String> env = E2eEnvironment.readEnv(dirs.get(cluster).resolve("cluster.env"));
            Path token = Files.writeString(work.resolve(cluster + "-api-token"), env.get("ADMIN_TOKEN"));
            String prefix = "-Dpod-identity.clusters." + cluster + ".";
            properties.addAll(List.of(prefix + "api-server-url=" + env.get("APISERVER_URL"),
                    prefix + "token-file=" + token, prefix + "ca-file=" + env.get("CA_FILE")));
        }
        properties.add("-Dpod-identity.clusters.one.caller-token-file="
                + Files.writeString(work.resolve("one-caller-token"), "one-caller-token"));
        // Cluster one's own associations; the top level has none, so cluster two has none either.
        properties.add("-Dpod-identity.clusters.one.container-credentials.config-file=" + Files.writeString(
                work.resolve("one-associations.json"), """
                        {"identities":[{"namespace":"apps","serviceAccount":"agent"}]}"""));
        HttpClient http = HttpClient.newBuilder().sslContext(Pki.trustAll()).build();
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

    static Pod create(String cluster, String namespace) {
        return create(cluster, namespace, "app");
    }

    static Pod create(String cluster, String namespace, String serviceAccount) {
        KubernetesClient k8s = clients.get(cluster);
        Pod created = k8s.pods().inNamespace(namespace).resource(new PodBuilder().withNewMetadata()
                .withGenerateName("app-").endMetadata().withNewSpec().withServiceAccountName(serviceAccount)
                .addNewContainer().withName("app").withImage("busybox").endContainer().endSpec().build()).create();
        return k8s.pods().inNamespace(namespace).withName(created.getMetadata().getName()).get();
    }

    static String role(Pod pod) {
        return env(pod, "AWS_ROLE_ARN");
    }

    static String env(Pod pod, String name) {
        return pod.getSpec().getContainers().get(0).getEnv().stream().filter(e -> e.getName().equals(name))
                .map(e -> e.getValue()).findFirst().orElse(null);
    }

    @Test
    void eachClustersPodsAreMutatedFromItsOwnServiceAccounts() {
        for (int i = 0; i < 2; i++) {
            assertEquals(ROLE + "one-app", role(create("one", "apps")));
            assertEquals(ROLE + "two-app", role(create("two", "apps")));
        }
    }

    @Test
    void aNamedClustersOwnPodIdentityAssociationsApplyToItsPodsOnly() {
        Pod one = create("one", "apps", "agent");
        Pod two = create("two", "apps", "agent");

        assertEquals("enabled", one.getMetadata().getLabels().get("eks.amazonaws.com/pod-identity"));
        assertEquals("http://169.254.170.23/v1/credentials", env(one, "AWS_CONTAINER_CREDENTIALS_FULL_URI"));
        assertEquals("/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token",
                env(one, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
        var token = one.getSpec().getVolumes().stream().filter(v -> v.getName().equals("eks-pod-identity-token"))
                .findFirst().orElseThrow().getProjected().getSources().get(0).getServiceAccountToken();
        assertEquals("pods.eks.amazonaws.com", token.getAudience());
        assertEquals(null, env(two, "AWS_CONTAINER_CREDENTIALS_FULL_URI"), "cluster two has no associations");
        assertTrue(two.getSpec().getVolumes().stream().noneMatch(v -> v.getName().equals("eks-pod-identity-token")));
    }

    @Test
    void anApiServerWithTheWrongTokenHasItsPodsAdmittedUnmutated() throws Exception {
        Pod pod = create("two", "wrong-token");

        assertEquals(null, role(pod));
        assertTrue(pod.getSpec().getVolumes().stream().noneMatch(v -> v.getName().equals("aws-iam-token")));
        assertTrue(Files.readString(work.resolve("function.log"))
                .contains("refused an admission request for cluster one: missing or wrong bearer token"));
    }

    @Test
    void aClientCertificateWithTheWrongSubjectIsRefused() throws Exception {
        Path other = work.resolve("other-caller");
        new Pki(work.resolve("callers-ca/ca.crt"), work.resolve("callers-ca/ca.key"), log).issueClient(other,
                "/O=cluster-three/CN=kube-apiserver");
        HttpClient http = HttpClient.newBuilder().sslContext(clientContext(other)).build();

        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                URI.create("https://127.0.0.1:" + httpsPort + "/clusters/two/mutate"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(401, response.statusCode(), response.body());
    }

    /** A TLS client presenting the directory's client certificate (and trusting any server). */
    static javax.net.ssl.SSLContext clientContext(Path dir) throws Exception {
        Shell.run(dir, log, 60, "openssl", "pkcs12", "-export", "-in", "client.crt", "-inkey", "client.key",
                "-out", "client.p12", "-passout", "pass:changeit");
        java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(dir.resolve("client.p12"))) {
            keys.load(in, "changeit".toCharArray());
        }
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(
                javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, "changeit".toCharArray());
        javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), new javax.net.ssl.TrustManager[] {Pki.TRUST_ALL}, null);
        return ssl;
    }
}
