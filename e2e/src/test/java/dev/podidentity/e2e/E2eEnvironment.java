package dev.podidentity.e2e;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One real cluster and one running function for the whole e2e run: a kube-apiserver and etcd on
 * 127.0.0.1 (e2e/cluster.sh), the packaged function serving HTTPS on 127.0.0.1 with a certificate
 * signed by the cluster's CA, and a MutatingWebhookConfiguration that sends every pod CREATE to it
 * with {@code failurePolicy: Fail}, so a bad answer fails the test. Stopped when the JVM exits;
 * the cluster also stops by itself if the JVM dies ({@code --owner-pid}).
 */
final class E2eEnvironment {

    static final String WEBHOOK = "pod-identity";
    static final String REGION = "eu-west-1";
    /** ServiceAccounts the function's Pod Identity config file lists. */
    static final List<String> POD_IDENTITY = List.of("e2e-pod-identity/agent", "shop/agent");

    private static E2eEnvironment instance;

    final Path repository;
    final Path work;
    final Path log;
    final Path clusterDir;
    final Path functionTls;
    final Pki pki;
    final Map<String, String> cluster;
    final KubernetesClient client;
    final int httpsPort;
    private Process function;

    static synchronized E2eEnvironment get() {
        if (instance == null) {
            try {
                instance = new E2eEnvironment();
            } catch (Exception e) {
                throw new IllegalStateException("the e2e environment did not start: " + e.getMessage(), e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(instance::stop));
        }
        return instance;
    }

    private E2eEnvironment() throws Exception {
        repository = Harness.repository();
        work = Harness.work("");
        log = work.resolve("e2e.log");
        clusterDir = work.resolve("cluster");
        // A fresh etcd and PKI every run; the first run builds kube-apiserver and etcd (minutes).
        cluster = Harness.startCluster(work, clusterDir);
        client = new KubernetesClientBuilder().withConfig(
                Config.fromKubeconfig(Files.readString(clusterDir.resolve("admin.kubeconfig")))).build();
        pki = new Pki(Path.of(cluster.get("CA_FILE")), clusterDir.resolve("pki/ca.key"), log);
        functionTls = work.resolve("function-tls");
        pki.issue(functionTls);
        httpsPort = freePort();
        installShippedRbac();
        startFunction();
        registerWebhook();
    }

    /**
     * The Namespace, ServiceAccount and RBAC of knative/base, created for real: the function then
     * runs with that ServiceAccount's token, so every test also proves the shipped RBAC suffices.
     */
    private void installShippedRbac() {
        List<io.fabric8.kubernetes.api.model.HasMetadata> base = Manifests.render(this, "base");
        Manifests.apply(client, base.stream().filter(o -> !o.getKind().equals("MutatingWebhookConfiguration")).toList(),
                List.of("Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding"));
    }

    private void startFunction() throws Exception {
        Path dir = Files.createDirectories(work.resolve("function"));
        Path token = dir.resolve("token");
        Files.writeString(token, client.serviceAccounts().inNamespace("pod-identity").withName("pod-identity")
                .tokenRequest(new io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder().withNewSpec()
                        .withExpirationSeconds(7200L).endSpec().build()).getStatus().getToken());
        Path podIdentity = dir.resolve("pod-identity.json");
        StringBuilder identities = new StringBuilder("{\"identities\":[");
        for (int i = 0; i < POD_IDENTITY.size(); i++) {
            String[] ref = POD_IDENTITY.get(i).split("/");
            identities.append(i == 0 ? "" : ",").append("{\"namespace\":\"").append(ref[0])
                    .append("\",\"serviceAccount\":\"").append(ref[1]).append("\"}");
        }
        Files.writeString(podIdentity, identities.append("]}").toString());
        int httpPort = freePort();
        HttpClient http = HttpClient.newHttpClient();
        function = Harness.startFunction(dir, List.of(
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + httpPort,
                "-Dquarkus.http.ssl-port=" + httpsPort,
                "-Dquarkus.http.ssl.certificate.files=" + functionTls.resolve("tls.crt"),
                "-Dquarkus.http.ssl.certificate.key-files=" + functionTls.resolve("tls.key"),
                "-Dpod-identity.kubernetes.api-server-url=" + cluster.get("APISERVER_URL"),
                "-Dpod-identity.kubernetes.token-file=" + token,
                "-Dpod-identity.kubernetes.ca-file=" + cluster.get("CA_FILE"),
                "-Dpod-identity.container-credentials.config-file=" + podIdentity,
                "-Dpod-identity.aws-default-region=" + REGION),
                () -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/q/health/ready"))
                        .build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
    }

    /** Every pod CREATE goes to the function, as the shipped manifests configure it. */
    private void registerWebhook() throws Exception {
        MutatingWebhookConfiguration configuration = new MutatingWebhookConfigurationBuilder()
                .withNewMetadata().withName(WEBHOOK).endMetadata()
                .addNewWebhook()
                    .withName("pod-identity.podidentity.dev")
                    .withAdmissionReviewVersions("v1")
                    .withSideEffects("None")
                    .withFailurePolicy("Fail")
                    .withReinvocationPolicy("IfNeeded")
                    .withTimeoutSeconds(10)
                    .withNewClientConfig()
                        .withUrl("https://127.0.0.1:" + httpsPort + "/mutate")
                        .withCaBundle(Base64.getEncoder().encodeToString(Files.readAllBytes(pki.ca())))
                    .endClientConfig()
                    .addNewRule()
                        .withApiGroups("").withApiVersions("v1").withOperations("CREATE").withResources("pods")
                        .withScope("Namespaced")
                    .endRule()
                    .withNewObjectSelector()
                        .addNewMatchExpression().withKey("eks.amazonaws.com/skip-pod-identity-webhook")
                        .withOperator("DoesNotExist").endMatchExpression()
                    .endObjectSelector()
                .endWebhook()
                .build();
        client.admissionRegistration().v1().mutatingWebhookConfigurations().resource(configuration).createOr(
                c -> c.update());
        // The API server picks webhook configurations up asynchronously: wait until one is applied.
        namespace("e2e-probe");
        serviceAccount("e2e-probe", "probe", Map.of("eks.amazonaws.com/role-arn",
                "arn:aws:iam::111122223333:role/probe"));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            Pod probe = client.pods().inNamespace("e2e-probe").resource(new PodBuilder().withNewMetadata()
                    .withGenerateName("probe-").endMetadata().withNewSpec().withServiceAccountName("probe")
                    .addNewContainer().withName("c").withImage("busybox").endContainer().endSpec().build())
                    .dryRun().create();
            if (probe.getSpec().getVolumes().stream().anyMatch(v -> v.getName().equals("aws-iam-token"))) {
                return;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the API server never applied the webhook configuration");
    }

    void namespace(String name) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                .createOr(c -> c.update());
    }

    void serviceAccount(String namespace, String name, Map<String, String> annotations) {
        namespace(namespace);
        client.serviceAccounts().inNamespace(namespace).resource(new ServiceAccountBuilder().withNewMetadata()
                .withName(name).withNamespace(namespace).withAnnotations(annotations).endMetadata().build())
                .createOr(c -> c.update());
    }

    /** Issues a new serving certificate for the function, as cert-manager would rotate it. */
    String rotateFunctionCertificate() throws Exception {
        return pki.issue(functionTls);
    }

    private synchronized void stop() {
        try {
            Harness.stop(function);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            client.admissionRegistration().v1().mutatingWebhookConfigurations().withName(WEBHOOK).delete();
        } catch (RuntimeException ignored) {
            // the cluster is going away anyway
        }
        client.close();
        Harness.stopCluster(work, clusterDir);
    }

    /** Ports handed out by {@link #freePort()} in this JVM: never twice. */
    private static final Set<Integer> HANDED_OUT = new HashSet<>();

    /**
     * A port nothing listens on, for a server started later by another process. Chosen below the
     * kernel's ephemeral range ({@code net.ipv4.ip_local_port_range}): a port from that range, as
     * {@code new ServerSocket(0)} gives, can be taken as the source port of any outgoing connection
     * (the API server's to etcd, a client's) before the server binds it, and the function then
     * failed to start ("Port … seems to be in use"). Below the range only another listener can
     * take it, and the bind here checks that.
     */
    static synchronized int freePort() throws IOException {
        int below = 32768;
        try {
            below = Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
                    .strip().split("\\s+")[0]);
        } catch (IOException | RuntimeException noProc) {
            // not Linux: the usual start of the range
        }
        int low = 20000;
        if (below - low < 1000) {
            try (ServerSocket socket = new ServerSocket(0)) {
                return socket.getLocalPort();
            }
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = random.nextInt(low, below);
            if (HANDED_OUT.contains(port)) {
                continue;
            }
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(port));
                HANDED_OUT.add(port);
                return port;
            } catch (IOException taken) {
                // a listener has it: another one
            }
        }
        throw new IOException("no free port between " + low + " and " + below);
    }

    static Map<String, String> readEnv(Path file) throws IOException {
        Map<String, String> env = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            if (eq > 0 && !line.startsWith("#")) {
                String value = line.substring(eq + 1).strip();
                if (value.length() >= 2 && (value.startsWith("'") || value.startsWith("\""))) {
                    value = value.substring(1, value.length() - 1);
                }
                env.put(line.substring(0, eq).replaceFirst("^export ", "").strip(), value);
            }
        }
        return env;
    }
}
