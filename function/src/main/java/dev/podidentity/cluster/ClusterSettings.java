package dev.podidentity.cluster;

import dev.podidentity.config.PodIdentityConfig;
import dev.podidentity.config.PodIdentityConfig.ClusterOverrides;
import dev.podidentity.identity.IdentitySettings;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Everything configured for one served cluster, read in one place: where its ServiceAccounts come
 * from, how its callers authenticate, the identity settings its pods get, its Pod Identity
 * associations file and its mapping ConfigMap. The default cluster's are the top-level
 * {@code pod-identity.*} properties; a named cluster's are the same properties under
 * {@code pod-identity.clusters.<id>.}, each one it does not set being the top-level one.
 *
 * <pre>{@code
 * @Inject PodIdentityConfig config;
 * ClusterSettings prod = ClusterSettings.of(config, "prod-eu");
 * prod.identity().region(); // clusters.prod-eu.aws-default-region, else aws-default-region
 * }</pre>
 *
 * @param id the cluster id, {@value ClusterRegistry#DEFAULT} for the one at {@code /mutate}
 * @param access where its ServiceAccounts are read
 * @param callers what its API server presents when it calls the function
 * @param identity the identity defaults of its pods
 * @param associationsFile its Pod Identity associations file, or null: Pod Identity off
 * @param mappings its mapping ConfigMap, or null: mapping off
 */
public record ClusterSettings(String id, ClusterAccess access, Callers callers, IdentitySettings identity,
        Path associationsFile, MappingConfigMap mappings) {

    public ClusterSettings {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(callers, "callers");
        Objects.requireNonNull(identity, "identity");
        if (mappings != null && !access.usesApiServer()) {
            throw new IllegalArgumentException("pod-identity.config-map.enabled needs the Kubernetes API:"
                    + " unset pod-identity.service-accounts-file");
        }
    }

    /**
     * How a cluster's API server authenticates to the function.
     *
     * @param tokenFile the bearer token it presents, or null: no token asked for
     * @param certificateSubject the subject of the client certificate it presents, or null
     * @param certificateCaFile the CA that certificate must chain to, or null: any trusted CA
     */
    public record Callers(Path tokenFile, String certificateSubject, Path certificateCaFile) {
    }

    /**
     * The mapping ConfigMap {@code <namespace>/<name>} of the AWS webhook ({@code --watch-config-map}).
     *
     * @param namespace its namespace
     * @param name its name
     */
    public record MappingConfigMap(String namespace, String name) {
    }

    /**
     * Reads one cluster's settings.
     *
     * @param id {@value ClusterRegistry#DEFAULT}, or a key of {@code pod-identity.clusters}
     * @throws IllegalArgumentException when the cluster is not configured, or configured in a way
     *     that cannot work (no way to reach a named cluster, a mapping ConfigMap without an API server,
     *     a blank setting)
     */
    public static ClusterSettings of(PodIdentityConfig config, String id) {
        PodIdentityConfig.Cluster named = null;
        if (!ClusterRegistry.DEFAULT.equals(id)) {
            named = config.clusters().get(id);
            if (named == null) {
                throw new IllegalArgumentException("no cluster " + id + " is configured");
            }
        }
        Layered settings = new Layered(config, named);
        return new ClusterSettings(id, named == null ? defaultAccess(config) : access(id, named),
                named == null ? defaultCallers(config) : callers(named), settings.identity(),
                settings.associationsFile(), settings.mappings());
    }

    private static ClusterAccess defaultAccess(PodIdentityConfig config) {
        if (config.serviceAccountsFile().isPresent()) {
            return new ClusterAccess.ServiceAccountsFile(config.serviceAccountsFile().get());
        }
        PodIdentityConfig.Kubernetes k = config.kubernetes();
        if (k.apiServerUrl().isPresent()) {
            return new ClusterAccess.ApiServerUrl(k.apiServerUrl().get(), k.tokenFile().orElse(null),
                    k.caFile().orElse(null), k.insecureSkipTlsVerify());
        }
        return new ClusterAccess.FromEnvironment();
    }

    private static ClusterAccess access(String id, PodIdentityConfig.Cluster c) {
        if (c.apiServerUrl().isPresent()) {
            return new ClusterAccess.ApiServerUrl(c.apiServerUrl().get(), c.tokenFile().orElse(null),
                    c.caFile().orElse(null), c.insecureSkipTlsVerify());
        }
        if (c.kubeconfig().isPresent()) {
            return new ClusterAccess.Kubeconfig(c.kubeconfig().get(), c.context().orElse(null));
        }
        throw new IllegalArgumentException("cluster " + id + " needs pod-identity.clusters." + id
                + ".kubeconfig or .api-server-url");
    }

    private static Callers defaultCallers(PodIdentityConfig config) {
        return new Callers(config.callerTokenFile().orElse(null), config.callerCertificateSubject().orElse(null),
                config.callerCertificateCaFile().orElse(null));
    }

    private static Callers callers(PodIdentityConfig.Cluster c) {
        return new Callers(c.callerTokenFile().orElse(null), c.callerCertificateSubject().orElse(null),
                c.callerCertificateCaFile().orElse(null));
    }

    /**
     * The overridable settings: a named cluster's own value where it sets one, else the top-level
     * value. The default cluster has no overrides, so it reads the top level through the same code.
     */
    private record Layered(PodIdentityConfig top, ClusterOverrides cluster) {

        <T> T get(Function<ClusterOverrides, Optional<T>> override, T topLevel) {
            return cluster == null ? topLevel : override.apply(cluster).orElse(topLevel);
        }

        IdentitySettings identity() {
            PodIdentityConfig.ContainerCredentials cc = top.containerCredentials();
            return IdentitySettings.builder()
                    .annotationPrefix(get(ClusterOverrides::annotationPrefix, top.annotationPrefix()))
                    .tokenAudience(get(ClusterOverrides::tokenAudience, top.tokenAudience()))
                    .tokenMountPath(get(ClusterOverrides::tokenMountPath, top.tokenMountPath()))
                    .tokenExpiration(get(ClusterOverrides::tokenExpiration, top.tokenExpiration()))
                    .region(get(ClusterOverrides::awsDefaultRegion, top.awsDefaultRegion().orElse(null)))
                    .regionalSts(get(ClusterOverrides::stsRegionalEndpoint, top.stsRegionalEndpoint()))
                    .roleSessionName(get(ClusterOverrides::roleSessionName, top.roleSessionName()))
                    .onLookupFailure(get(ClusterOverrides::onLookupFailure, top.onLookupFailure()))
                    .podIdentity(new IdentitySettings.PodIdentitySettings(
                            get(o -> o.containerCredentials().audience(), cc.audience()),
                            get(o -> o.containerCredentials().mountPath(), cc.mountPath()),
                            get(o -> o.containerCredentials().volumeName(), cc.volumeName()),
                            get(o -> o.containerCredentials().tokenPath(), cc.tokenPath()),
                            get(o -> o.containerCredentials().fullUri(), cc.fullUri())))
                    .build();
        }

        Path associationsFile() {
            return get(o -> o.containerCredentials().configFile(),
                    top.containerCredentials().configFile().orElse(null));
        }

        MappingConfigMap mappings() {
            PodIdentityConfig.ConfigMap configMap = top.configMap();
            if (!get(o -> o.configMap().enabled(), configMap.enabled())) {
                return null;
            }
            return new MappingConfigMap(get(o -> o.configMap().namespace(), configMap.namespace()),
                    get(o -> o.configMap().name(), configMap.name()));
        }
    }
}
