package dev.podidentity.cluster;

import dev.podidentity.config.TestConfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.podidentity.config.LookupFailurePolicy;
import dev.podidentity.config.PodIdentityConfig;
import dev.podidentity.serviceaccount.ClusterAccess;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.podidentity.TestJson.MAPPER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How a cluster is read from its Secret, in the shapes Cluster API and Argo CD write, and what breaks it. */
// Contract: docs/contract.md#cluster-secrets
class ClusterSecretTest {

    static final String KUBECONFIG = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: prod-eu
              cluster:
                server: https://prod-eu.example.com:6443
                certificate-authority-data: %s
            users:
            - name: admin
              user:
                token: reader-token
            contexts:
            - name: prod-eu
              context: {cluster: prod-eu, user: admin}
            - name: other
              context: {cluster: prod-eu, user: admin}
            current-context: prod-eu
            """.formatted(base64(TestCertificates.pem(TestCertificates.authority("CN=ca").certificate())));

    static final PodIdentityConfig TOP = TestConfig.of(Map.of(
            "pod-identity.aws-default-region", "eu-west-1", "pod-identity.token-audience", "corp-audience"));

    static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A Secret as the API server answers it, with these values (base64-encoded as in {@code data}). */
    static JsonNode secret(String... keysAndValues) {
        Map<String, String> data = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            data.put(keysAndValues[i], base64(keysAndValues[i + 1]));
        }
        ObjectNode secret = MAPPER.createObjectNode();
        secret.putObject("metadata").put("name", "prod-eu-kubeconfig").put("namespace", "pod-identity")
                .put("uid", "u1").put("resourceVersion", "1");
        secret.set("data", MAPPER.valueToTree(data));
        return secret;
    }

    static Registration.Usable usable(JsonNode secret) {
        Registration registration = ClusterSecret.read("prod-eu", secret, TOP.defaultCluster());
        if (registration instanceof Registration.Broken broken) {
            throw new AssertionError("broken: " + broken.problem());
        }
        return (Registration.Usable) registration;
    }

    static Registration.Broken broken(JsonNode secret) {
        return assertInstanceOf(Registration.Broken.class, ClusterSecret.read("prod-eu", secret, TOP.defaultCluster()));
    }

    @Test
    void aClusterApiKubeconfigSecretWithACallerTokenIsAClusterWithTheTopLevelsSettings() {
        Registration.Usable prod = usable(secret("value", KUBECONFIG, "caller-token", "from-prod-eu"));

        ClusterAccess.Kubeconfig access = assertInstanceOf(ClusterAccess.Kubeconfig.class, prod.settings().access());
        assertEquals(KUBECONFIG, access.content());
        assertNull(access.context(), "its current context");
        assertFalse(access.file());
        assertEquals("eu-west-1", prod.settings().identity().region());
        assertEquals("corp-audience", prod.settings().identity().tokenAudience());
        assertNull(prod.callers().refusal("Bearer from-prod-eu", null));
        assertNotNull(prod.callers().refusal("Bearer other", null));
        assertNull(prod.oidc());
    }

    @Test
    void theKubeconfigKeyAndAContextKeyAreReadToo() {
        Registration.Usable prod = usable(secret("kubeconfig", KUBECONFIG, "context", "other", "caller-token", "t"));

        assertEquals("other", ((ClusterAccess.Kubeconfig) prod.settings().access()).context());
    }

    @Test
    void anArgoCdClusterSecretIsAnApiServerWithItsTokenCaAndClientCertificate() throws Exception {
        String ca = TestCertificates.pem(TestCertificates.authority("CN=ca").certificate());
        String config = """
                {"bearerToken":"argo-token","tlsClientConfig":{"insecure":false,"caData":"%s"}}"""
                .formatted(base64(ca));

        Registration.Usable prod = usable(secret("name", "prod-eu", "server", "https://prod-eu.example.com",
                "config", config, "project", "default", "caller-token", "t"));

        ClusterAccess.ApiServer access = assertInstanceOf(ClusterAccess.ApiServer.class, prod.settings().access());
        assertEquals("https://prod-eu.example.com", access.url());
        assertEquals(ClusterAccess.Token.value("argo-token"), access.token());
        assertEquals(ca, access.caPem());
        assertFalse(access.insecureSkipTlsVerify());
    }

    @Test
    void everyCallerTokenKeyIsAcceptedSoThatARotationHasNoWindow() {
        Registration.Usable prod = usable(secret("value", KUBECONFIG, "caller-token", "old",
                "caller-token-next", "new"));

        assertNull(prod.callers().refusal("Bearer old", null));
        assertNull(prod.callers().refusal("Bearer new", null));
        assertNotNull(prod.callers().refusal("Bearer neither", null));
    }

    @Test
    void settingKeysAreTheClustersOwnAndTheOidcIssuerIsRead() {
        Registration.Usable prod = usable(secret("value", KUBECONFIG, "caller-token", "t",
                "aws-default-region", "eu-central-1", "sts-regional-endpoint", "true", "on-lookup-failure", "deny",
                "config-map.enabled", "true", "oidc.issuer", "https://oidc.example.com/prod-eu"));

        assertEquals("eu-central-1", prod.settings().identity().region());
        assertTrue(prod.settings().identity().regionalSts());
        assertEquals(LookupFailurePolicy.DENY, prod.settings().identity().onLookupFailure());
        assertEquals(new ClusterSettings.MappingConfigMap("eks", "pod-identity-webhook"), prod.settings().mappings());
        assertEquals("corp-audience", prod.settings().identity().tokenAudience(), "not set: the top level's");
        assertEquals("https://oidc.example.com/prod-eu", prod.oidc().issuer());
    }

    @Test
    void aSecretWithoutCallerCredentialsAcceptsNoCaller() {
        Registration.Broken prod = broken(secret("value", KUBECONFIG));

        assertNull(prod.callers());
        assertEquals("Secret pod-identity/prod-eu-kubeconfig: no caller credentials: a cluster registered as a Secret"
                + " needs key caller-token (or caller-token-<suffix>) or caller-certificate-subject, what its API server"
                + " presents to the function", prod.problem());
    }

    @Test
    void aSecretWithoutAWayToReachTheClusterIsBrokenAndStillAuthenticatesItsCallers() {
        Registration.Broken prod = broken(secret("caller-token", "t", "on-lookup-failure", "deny"));

        assertTrue(prod.problem().contains("no way to reach the cluster's API server"), prod.problem());
        assertNull(prod.callers().refusal("Bearer t", null), "its callers are told what is wrong");
        assertEquals(LookupFailurePolicy.DENY, prod.onLookupFailure(), "its own policy, which could be read");
    }

    @Test
    void aKubeconfigThatRunsACommandOrNamesAFileIsRefused() {
        String exec = KUBECONFIG.replace("    token: reader-token", "    exec:\n"
                + "      apiVersion: client.authentication.k8s.io/v1\n"
                + "      command: /bin/sh\n"
                + "      args: [\"-c\", \"cat /etc/shadow\"]");
        String file = KUBECONFIG.replace("    token: reader-token", "    tokenFile: /var/run/secrets/token");

        assertTrue(broken(secret("value", exec, "caller-token", "t")).problem().contains("runs a command (exec)"));
        assertTrue(broken(secret("value", file, "caller-token", "t")).problem().contains("names files"));
    }

    @Test
    void aMissingContextAnUnknownKeyAndAnUnreadableValueAreBrokenNamingWhatIsWrong() {
        assertTrue(broken(secret("value", KUBECONFIG, "context", "nope", "caller-token", "t")).problem()
                .contains("has no context 'nope'"));
        String unknown = broken(secret("value", KUBECONFIG, "caller-token", "t", "aws-regoin", "x")).problem();
        assertTrue(unknown.contains("aws-regoin"), unknown);
        String unreadable = broken(secret("value", KUBECONFIG, "caller-token", "t", "token-expiration", "a day"))
                .problem();
        assertTrue(unreadable.contains("token-expiration"), unreadable);
    }

    @Test
    void argoCdCredentialsTheFunctionCannotUseAreRefusedRatherThanIgnored() {
        String exec = "{\"execProviderConfig\":{\"command\":\"argocd-k8s-auth\"}}";
        String none = "{\"tlsClientConfig\":{\"insecure\":true}}";

        assertTrue(broken(secret("server", "https://x", "config", exec, "caller-token", "t")).problem()
                .contains("execProviderConfig"));
        assertTrue(broken(secret("server", "https://x", "config", none, "caller-token", "t")).problem()
                .contains("neither bearerToken nor tlsClientConfig.certData"));
        assertTrue(broken(secret("server", "https://x", "config", "not json", "caller-token", "t")).problem()
                .contains("key config is not JSON"));
    }

    @Test
    void twoWaysToReachTheClusterAreBroken() {
        assertTrue(broken(secret("value", KUBECONFIG, "server", "https://x", "config", "{}", "caller-token", "t"))
                .problem().contains("keep one way to reach the cluster"));
    }
}
