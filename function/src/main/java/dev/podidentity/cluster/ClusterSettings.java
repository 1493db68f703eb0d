package dev.podidentity.cluster;

import dev.podidentity.config.PodIdentityConfig.Identity;
import dev.podidentity.identity.IdentitySettings;
import dev.podidentity.serviceaccount.ClusterAccess;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * What the function needs to serve one cluster's admissions, whichever source registered it
 * (properties or a Secret): where its ServiceAccounts come from, the identity settings its pods
 * get, its Pod Identity associations file and its mapping ConfigMap. Two equal settings serve
 * alike: a cluster whose settings change is built again, one whose settings stay keeps its client
 * and caches.
 *
 * <pre>{@code
 * @Inject PodIdentityConfig config;
 * ClusterAccess access = new ClusterAccess.ServiceAccountsFile(Path.of("prod-eu/service-accounts.yaml"));
 * ClusterSettings prod = ClusterSettings.layered("prod-eu", access, config.clusters().get("prod-eu"),
 *         config.defaultCluster());
 * prod.identity().region(); // clusters.prod-eu.aws-default-region, else aws-default-region
 * }</pre>
 *
 * @param id the cluster id, {@value ClusterRegistry#DEFAULT} for the one at {@code /mutate}
 * @param access where its ServiceAccounts are read
 * @param identity the identity defaults of its pods
 * @param associationsFile its Pod Identity associations file, or null: Pod Identity off
 * @param mappings its mapping ConfigMap, or null: mapping off
 */
public record ClusterSettings(String id, ClusterAccess access, IdentitySettings identity, Path associationsFile,
        MappingConfigMap mappings) {

    public ClusterSettings {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(identity, "identity");
        if (mappings != null && !access.usesApiServer()) {
            throw new IllegalArgumentException("config-map.enabled needs the Kubernetes API: the cluster reads its"
                    + " ServiceAccounts from a file");
        }
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
     * A cluster's settings from its own {@link Identity} settings, each one it leaves unset being
     * the shared one, and each the shared settings leave unset the built-in default.
     *
     * @param own the cluster's own settings (the shared ones themselves for the default cluster)
     * @param shared the top-level settings
     * @throws IllegalArgumentException when a setting is blank or they cannot work together
     */
    public static ClusterSettings layered(String id, ClusterAccess access, Identity own, Identity shared) {
        Layers layers = new Layers(own, shared);
        return new ClusterSettings(id, access, layers.identity(), layers.associationsFile(), layers.mappings());
    }

    /** A setting is the cluster's own, else the shared one, else absent (then the built-in default). */
    private record Layers(Identity own, Identity shared) {

        <T> Optional<T> get(Function<Identity, Optional<T>> setting) {
            return setting.apply(own).or(() -> setting.apply(shared));
        }

        IdentitySettings identity() {
            IdentitySettings.Builder builder = IdentitySettings.builder();
            get(Identity::annotationPrefix).ifPresent(builder::annotationPrefix);
            get(Identity::tokenAudience).ifPresent(builder::tokenAudience);
            get(Identity::tokenMountPath).ifPresent(builder::tokenMountPath);
            get(Identity::tokenExpiration).ifPresent(builder::tokenExpiration);
            get(Identity::awsDefaultRegion).ifPresent(builder::region);
            get(Identity::stsRegionalEndpoint).ifPresent(builder::regionalSts);
            get(Identity::roleSessionName).ifPresent(builder::roleSessionName);
            get(Identity::onLookupFailure).ifPresent(builder::onLookupFailure);
            IdentitySettings.PodIdentitySettings agent = IdentitySettings.PodIdentitySettings.defaults();
            builder.podIdentity(new IdentitySettings.PodIdentitySettings(
                    get(i -> i.containerCredentials().audience()).orElse(agent.audience()),
                    get(i -> i.containerCredentials().mountPath()).orElse(agent.mountPath()),
                    get(i -> i.containerCredentials().volumeName()).orElse(agent.volumeName()),
                    get(i -> i.containerCredentials().tokenPath()).orElse(agent.tokenPath()),
                    get(i -> i.containerCredentials().fullUri()).orElse(agent.fullUri())));
            return builder.build();
        }

        Path associationsFile() {
            return get(i -> i.containerCredentials().configFile()).orElse(null);
        }

        MappingConfigMap mappings() {
            if (!get(i -> i.configMap().enabled()).orElse(false)) {
                return null;
            }
            return new MappingConfigMap(get(i -> i.configMap().namespace()).orElse("eks"),
                    get(i -> i.configMap().name()).orElse("pod-identity-webhook"));
        }
    }
}
