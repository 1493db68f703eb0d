package dev.podidentity.serviceaccount;

import dev.podidentity.config.PodIdentityConfig;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/**
 * Chooses where ServiceAccounts come from: the file named by
 * {@code pod-identity.service-accounts-file}.
 *
 * <pre>{@code
 * @Inject ServiceAccountSource serviceAccounts;
 * }</pre>
 */
@ApplicationScoped
public class ServiceAccountSourceProducer {

    @Produces
    @ApplicationScoped
    ServiceAccountSource serviceAccountSource(PodIdentityConfig config) {
        return config.serviceAccountsFile()
                .map(path -> (ServiceAccountSource) ServiceAccountFile.watching(path, config.fileCheckInterval()))
                .orElseThrow(() -> new IllegalStateException(
                        "set pod-identity.service-accounts-file to a YAML or JSON file of ServiceAccounts"));
    }
}
