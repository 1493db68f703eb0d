package dev.podidentity.cluster;

import dev.podidentity.config.PodIdentityConfig;
import dev.podidentity.config.TestConfig;

import dev.podidentity.serviceaccount.ClusterAccess;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * How one cluster's settings are read from the properties: which mistakes stop the start (the top
 * level's) and which fail their cluster alone (a named cluster's).
 */
// Contract: docs/contract.md#multi-cluster
class ClusterSettingsTest {

    /** Top-level values that all differ from the built-in defaults. */
    static final Map<String, String> TOP_LEVEL = Map.ofEntries(
            Map.entry("pod-identity.annotation-prefix", "corp.example"),
            Map.entry("pod-identity.token-audience", "corp-audience"),
            Map.entry("pod-identity.token-mount-path", "/corp/irsa"),
            Map.entry("pod-identity.token-expiration", "3600"),
            Map.entry("pod-identity.aws-default-region", "eu-north-1"),
            Map.entry("pod-identity.sts-regional-endpoint", "true"),
            Map.entry("pod-identity.role-session-name", "pod-name"),
            Map.entry("pod-identity.on-lookup-failure", "deny"),
            Map.entry("pod-identity.config-map.enabled", "true"),
            Map.entry("pod-identity.config-map.namespace", "corp"),
            Map.entry("pod-identity.config-map.name", "roles"),
            Map.entry("pod-identity.container-credentials.config-file", "/corp/associations.json"),
            Map.entry("pod-identity.container-credentials.audience", "corp-agent"),
            Map.entry("pod-identity.container-credentials.mount-path", "/corp/agent"),
            Map.entry("pod-identity.container-credentials.volume-name", "corp-agent-token"),
            Map.entry("pod-identity.container-credentials.token-path", "corp-token"),
            Map.entry("pod-identity.container-credentials.full-uri", "http://corp.example/credentials"),
            Map.entry("pod-identity.api-server-url", "https://10.0.0.1:6443"));

    static Map<String, String> with(Map<String, String> base, String... keysAndValues) {
        Map<String, String> properties = new HashMap<>(base);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            properties.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return properties;
    }

    static ClusterSettings settings(PodIdentityConfig config, String id) {
        return assertInstanceOf(Registration.Usable.class, new PropertyClusters(config).find(id).orElseThrow())
                .settings();
    }

    static Registration.Broken broken(PodIdentityConfig config, String id) {
        return assertInstanceOf(Registration.Broken.class, new PropertyClusters(config).find(id).orElseThrow());
    }

    @Test
    void aNamedClusterThatSetsNothingHasTheDefaultClustersSettings() {
        PodIdentityConfig config = TestConfig.of(with(TOP_LEVEL, "pod-identity.clusters.plain.api-server-url", "https://x"));

        ClusterSettings plain = settings(config, "plain");
        ClusterSettings defaults = settings(config, ClusterRegistry.DEFAULT);

        assertEquals(defaults.identity(), plain.identity());
        assertEquals(defaults.associationsFile(), plain.associationsFile());
        assertEquals(defaults.mappings(), plain.mappings());
        assertEquals("corp.example", plain.identity().annotationPrefix());
        assertEquals(new ClusterSettings.MappingConfigMap("corp", "roles"), plain.mappings());
    }

    @Test
    void theDefaultClusterIsReachedThroughTheFileTheUrlOrTheEnvironment() {
        assertEquals(new ClusterAccess.ServiceAccountsFile(Path.of("sa.yaml")), settings(TestConfig.of(Map.of(
                "pod-identity.service-accounts-file", "sa.yaml")), ClusterRegistry.DEFAULT).access());
        assertEquals(new ClusterAccess.ApiServer("https://x", null, null, false), settings(TestConfig.of(Map.of(
                "pod-identity.api-server-url", "https://x")), ClusterRegistry.DEFAULT).access());
        assertInstanceOf(ClusterAccess.FromEnvironment.class,
                settings(TestConfig.of(Map.of()), ClusterRegistry.DEFAULT).access());
    }

    @Test
    void theDefaultClustersFormerApiServerPropertiesAreStillRead() {
        PodIdentityConfig config = TestConfig.of(Map.of("pod-identity.kubernetes.api-server-url", "https://former",
                "pod-identity.kubernetes.insecure-skip-tls-verify", "true"));

        assertEquals(new ClusterAccess.ApiServer("https://former", null, null, true),
                settings(config, ClusterRegistry.DEFAULT).access());
    }

    @Test
    void aNamedClusterIsReachedThroughItsUrlItsKubeconfigOrItsFile(@TempDir Path dir) throws Exception {
        Path kubeconfig = Files.writeString(dir.resolve("kube.yaml"), "apiVersion: v1\nkind: Config\n");
        Path ca = Files.writeString(dir.resolve("ca.crt"), "PEM");
        PodIdentityConfig config = TestConfig.of(Map.of(
                "pod-identity.clusters.url.api-server-url", "https://url",
                "pod-identity.clusters.url.ca-file", ca.toString(),
                "pod-identity.clusters.kube.kubeconfig", kubeconfig.toString(),
                "pod-identity.clusters.kube.context", "prod",
                "pod-identity.clusters.file.service-accounts-file", "sa.yaml"));

        assertEquals(new ClusterAccess.ApiServer("https://url", null, "PEM", false), settings(config, "url").access());
        assertEquals(new ClusterAccess.Kubeconfig("apiVersion: v1\nkind: Config\n", "prod", kubeconfig.toString(), true),
                settings(config, "kube").access());
        assertEquals(new ClusterAccess.ServiceAccountsFile(Path.of("sa.yaml")), settings(config, "file").access());
    }

    @Test
    void aNamedClusterWithNoWayOrTwoWaysToReachItFailsAloneAndTheOthersAreServed() {
        PodIdentityConfig config = TestConfig.of(Map.of("pod-identity.clusters.lost.aws-default-region", "eu-west-1",
                "pod-identity.clusters.both.api-server-url", "https://both",
                "pod-identity.clusters.both.kubeconfig", "k",
                "pod-identity.clusters.fine.api-server-url", "https://fine"));

        assertEquals("cluster lost needs pod-identity.clusters.lost.kubeconfig, pod-identity.clusters.lost.api-server-url"
                + " or pod-identity.clusters.lost.service-accounts-file", broken(config, "lost").problem());
        assertEquals("cluster both sets kubeconfig and api-server-url: set one way to reach it",
                broken(config, "both").problem());
        assertEquals("https://fine", ((ClusterAccess.ApiServer) settings(config, "fine").access()).url());
    }

    @Test
    void aNamedClusterWhoseCallersCannotBeReadAcceptsNoCaller() {
        PodIdentityConfig config = TestConfig.of(Map.of("pod-identity.clusters.ca.api-server-url", "https://x",
                "pod-identity.clusters.ca.caller-certificate-ca-file", "ca.pem",
                "pod-identity.clusters.subject.api-server-url", "https://x",
                "pod-identity.clusters.subject.caller-certificate-subject", "not a name"));

        Registration.Broken ca = broken(config, "ca");
        Registration.Broken subject = broken(config, "subject");

        assertNull(ca.callers());
        assertEquals("cluster ca has pod-identity.clusters.ca.caller-certificate-ca-file but no"
                + " caller-certificate-subject: whose certificate should it accept?", ca.problem());
        assertNull(subject.callers());
        assertTrue(subject.problem().contains("is not a distinguished name"), subject.problem());
    }

    @Test
    void aKubeconfigOrCaFileThatCannotBeReadFailsItsClusterUntilItCanBe(@TempDir Path dir) throws Exception {
        Path ca = dir.resolve("ca.crt");
        PodIdentityConfig config = TestConfig.of(Map.of("pod-identity.file-check-interval", "0s",
                "pod-identity.clusters.late.api-server-url", "https://x",
                "pod-identity.clusters.late.ca-file", ca.toString()));
        PropertyClusters clusters = new PropertyClusters(config);

        assertEquals("the CA file " + ca + " of cluster late cannot be read",
                assertInstanceOf(Registration.Broken.class, clusters.find("late").orElseThrow()).problem());

        Files.writeString(ca, "PEM");
        assertEquals("PEM", ((ClusterAccess.ApiServer) assertInstanceOf(Registration.Usable.class,
                clusters.find("late").orElseThrow()).settings().access()).caPem());
    }

    @Test
    void aChangedCaFileIsANewRegistrationAndAnUnchangedOneIsTheSame(@TempDir Path dir) throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.crt"), "first");
        PropertyClusters clusters = new PropertyClusters(TestConfig.of(Map.of("pod-identity.file-check-interval", "0s",
                "pod-identity.clusters.c.api-server-url", "https://x", "pod-identity.clusters.c.ca-file", ca.toString())));
        Registration first = clusters.find("c").orElseThrow();

        assertSame(first, clusters.find("c").orElseThrow(), "nothing changed: the same registration");
        Files.writeString(ca, "second");
        Registration second = clusters.find("c").orElseThrow();

        assertEquals("second", ((ClusterAccess.ApiServer) ((Registration.Usable) second).settings().access()).caPem());
    }

    // Contract: docs/contract.md#watched-files
    @Test
    void aMappingConfigMapWithServiceAccountsFromAFileFailsTheStart() {
        PodIdentityConfig config = TestConfig.of(Map.of("pod-identity.service-accounts-file", "sa.yaml",
                "pod-identity.config-map.enabled", "true"));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PropertyClusters(config));

        assertEquals("config-map.enabled needs the Kubernetes API: the cluster reads its ServiceAccounts from a file",
                e.getMessage());
    }

    @Test
    void aClusterCanTurnOffTheTopLevelsMappingConfigMap() {
        PodIdentityConfig config = TestConfig.of(with(TOP_LEVEL, "pod-identity.clusters.off.api-server-url", "https://x",
                "pod-identity.clusters.off.config-map.enabled", "false"));

        assertNull(settings(config, "off").mappings());
    }

    @Test
    void aBlankOverrideFallsBackToTheTopLevel() {
        PodIdentityConfig config = TestConfig.of(with(TOP_LEVEL, "pod-identity.clusters.blank.api-server-url", "https://x",
                "pod-identity.clusters.blank.token-audience", ""));

        assertEquals("corp-audience", settings(config, "blank").identity().tokenAudience());
    }

    @Test
    void aClusterWithAnInvalidIdIsNotServedAndTheOthersAre() {
        PodIdentityConfig config = TestConfig.of(Map.of("pod-identity.clusters.Prod.api-server-url", "https://x",
                "pod-identity.clusters.prod.api-server-url", "https://x"));

        PropertyClusters clusters = new PropertyClusters(config);

        assertTrue(clusters.find("Prod").isEmpty());
        assertInstanceOf(Registration.Usable.class, clusters.find("prod").orElseThrow());
    }
}
