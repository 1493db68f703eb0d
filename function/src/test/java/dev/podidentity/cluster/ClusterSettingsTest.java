package dev.podidentity.cluster;

import dev.podidentity.config.PodIdentityConfig;

import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** How one cluster's settings are read from the properties, and which mistakes stop the start. */
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
            Map.entry("pod-identity.kubernetes.api-server-url", "https://10.0.0.1:6443"));

    /** The properties as the function reads them, with Quarkus's own converters. */
    static PodIdentityConfig config(Map<String, String> properties) {
        return new SmallRyeConfigBuilder()
                .withMapping(PodIdentityConfig.class)
                .withConverter(Duration.class, 100, new DurationConverter())
                .withConverter(MemorySize.class, 100, new MemorySizeConverter())
                .withSources(new PropertiesConfigSource(properties, "test", 100))
                .build().getConfigMapping(PodIdentityConfig.class);
    }

    static Map<String, String> with(Map<String, String> base, String... keysAndValues) {
        Map<String, String> properties = new HashMap<>(base);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            properties.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return properties;
    }

    @Test
    void aNamedClusterThatSetsNothingHasTheDefaultClustersSettings() {
        PodIdentityConfig config = config(with(TOP_LEVEL, "pod-identity.clusters.plain.api-server-url", "https://x"));

        ClusterSettings plain = ClusterSettings.of(config, "plain");
        ClusterSettings defaults = ClusterSettings.of(config, ClusterRegistry.DEFAULT);

        assertEquals(defaults.identity(), plain.identity());
        assertEquals(defaults.associationsFile(), plain.associationsFile());
        assertEquals(defaults.mappings(), plain.mappings());
        assertEquals("corp.example", plain.identity().annotationPrefix());
        assertEquals(new ClusterSettings.MappingConfigMap("corp", "roles"), plain.mappings());
    }

    @Test
    void theDefaultClusterIsReachedThroughTheFileElseTheUrlElseTheEnvironment() {
        assertEquals(new ClusterAccess.ServiceAccountsFile(Path.of("sa.yaml")), ClusterSettings.of(config(Map.of(
                "pod-identity.service-accounts-file", "sa.yaml", "pod-identity.kubernetes.api-server-url", "https://x")),
                ClusterRegistry.DEFAULT).access());
        assertEquals(new ClusterAccess.ApiServerUrl("https://x", null, null, false), ClusterSettings.of(config(Map.of(
                "pod-identity.kubernetes.api-server-url", "https://x")), ClusterRegistry.DEFAULT).access());
        assertInstanceOf(ClusterAccess.FromEnvironment.class,
                ClusterSettings.of(config(Map.of()), ClusterRegistry.DEFAULT).access());
    }

    @Test
    void aNamedClusterIsReachedThroughItsUrlElseItsKubeconfig() {
        PodIdentityConfig config = config(Map.of(
                "pod-identity.clusters.both.api-server-url", "https://both", "pod-identity.clusters.both.kubeconfig", "k",
                "pod-identity.clusters.kube.kubeconfig", "kube.yaml", "pod-identity.clusters.kube.context", "prod"));

        assertEquals(new ClusterAccess.ApiServerUrl("https://both", null, null, false),
                ClusterSettings.of(config, "both").access());
        assertEquals(new ClusterAccess.Kubeconfig(Path.of("kube.yaml"), "prod"), ClusterSettings.of(config, "kube").access());
    }

    @Test
    void aNamedClusterWithNoWayToReachItFailsTheStart() {
        PodIdentityConfig config = config(Map.of("pod-identity.clusters.lost.aws-default-region", "eu-west-1"));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ClusterRegistry(config, null));

        assertEquals("cluster lost needs pod-identity.clusters.lost.kubeconfig or .api-server-url", e.getMessage());
    }

    // Contract: docs/contract.md#watched-files
    @Test
    void aMappingConfigMapWithServiceAccountsFromAFileFailsTheStart() {
        PodIdentityConfig config = config(Map.of("pod-identity.service-accounts-file", "sa.yaml",
                "pod-identity.config-map.enabled", "true"));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ClusterRegistry(config, null));

        assertEquals("pod-identity.config-map.enabled needs the Kubernetes API: unset pod-identity.service-accounts-file",
                e.getMessage());
    }

    @Test
    void aClusterCanTurnOffTheTopLevelsMappingConfigMap() {
        PodIdentityConfig config = config(with(TOP_LEVEL, "pod-identity.clusters.off.api-server-url", "https://x",
                "pod-identity.clusters.off.config-map.enabled", "false"));

        assertNull(ClusterSettings.of(config, "off").mappings());
    }

    @Test
    void aBlankOverrideFallsBackToTheTopLevel() {
        PodIdentityConfig config = config(with(TOP_LEVEL, "pod-identity.clusters.blank.api-server-url", "https://x",
                "pod-identity.clusters.blank.token-audience", ""));

        assertEquals("corp-audience", ClusterSettings.of(config, "blank").identity().tokenAudience());
    }

    @Test
    void anInvalidClusterIdFailsTheStart() {
        PodIdentityConfig config = config(Map.of("pod-identity.clusters.Prod.api-server-url", "https://x"));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ClusterRegistry(config, null));

        assertEquals("cluster id 'Prod' must be a DNS label other than 'default' (lower-case letters, digits and '-')",
                e.getMessage());
    }
}
