package dev.podidentity.identity;

import com.github.benmanes.caffeine.cache.Ticker;

import dev.podidentity.config.PodIdentityConfig;
import dev.podidentity.serviceaccount.ClusterApi;
import dev.podidentity.serviceaccount.LookupExecutor;
import dev.podidentity.serviceaccount.LookupSettings;
import dev.podidentity.serviceaccount.ServiceAccountSource;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Builds the {@link IdentityResolver} from configuration.
 *
 * <pre>{@code
 * @Inject IdentityResolver resolver;
 * }</pre>
 */
@ApplicationScoped
public class IdentityResolverProducer {

    /** Only the Pod Identity token lifetime is randomised: each thread draws from its own generator. */
    public static final RandomGenerator RANDOM = () -> ThreadLocalRandom.current().nextLong();

    /** The top-level identity settings. */
    public static IdentitySettings settings(PodIdentityConfig config) {
        PodIdentityConfig.ContainerCredentials cc = config.containerCredentials();
        return new IdentitySettings(config.annotationPrefix(), config.tokenAudience(),
                config.tokenMountPath(), config.tokenExpiration(), config.awsDefaultRegion().orElse(null),
                config.stsRegionalEndpoint(), config.roleSessionName(), config.onLookupFailure(),
                new IdentitySettings.PodIdentitySettings(cc.audience(), cc.mountPath(), cc.volumeName(),
                        cc.tokenPath(), cc.fullUri()));
    }

    /** The top-level settings with one cluster's overrides applied. */
    public static IdentitySettings settings(PodIdentityConfig config, PodIdentityConfig.Cluster cluster) {
        IdentitySettings base = settings(config);
        return new IdentitySettings(cluster.annotationPrefix().orElse(base.annotationPrefix()),
                cluster.tokenAudience().orElse(base.tokenAudience()), base.tokenMountPath(),
                cluster.tokenExpiration().orElse(base.tokenExpiration()),
                cluster.awsDefaultRegion().orElse(base.region()),
                cluster.stsRegionalEndpoint().orElse(base.regionalSts()),
                cluster.roleSessionName().orElse(base.roleSessionName()),
                cluster.onLookupFailure().orElse(base.onLookupFailure()), base.podIdentity());
    }

    @Produces
    @ApplicationScoped
    IdentityResolver identityResolver(PodIdentityConfig config, ServiceAccountSource serviceAccounts,
            LookupSettings lookupSettings, Ticker ticker, @LookupExecutor ExecutorService executor,
            Instance<ClusterApi> cluster) {
        PodIdentityConfig.ContainerCredentials cc = config.containerCredentials();
        IdentitySettings settings = settings(config);
        PodIdentityAssociations associations = cc.configFile()
                .map(path -> PodIdentityAssociations.watching(path, config.fileCheckInterval()))
                .orElse(PodIdentityAssociations.NONE);
        RoleMappingSource mappings = RoleMappingSource.NONE;
        if (config.configMap().enabled()) {
            if (config.serviceAccountsFile().isPresent()) {
                throw new IllegalStateException("pod-identity.config-map.enabled needs the Kubernetes API:"
                        + " unset pod-identity.service-accounts-file");
            }
            ClusterApi api = cluster.get();
            mappings = new KubernetesRoleMappings(api.client(), api.guard(), config.configMap().namespace(),
                    config.configMap().name(), lookupSettings, ticker, executor);
        }
        return new IdentityResolver(settings, serviceAccounts, associations, mappings, RANDOM);
    }
}
