package dev.podidentity.serviceaccount;

import java.util.Optional;

/**
 * Where ServiceAccounts come from: a local file, or a cluster's API server.
 *
 * <pre>{@code
 * ServiceAccountSource source = ServiceAccountFile.watching(Path.of("examples/service-accounts.yaml"));
 * Optional<ServiceAccount> sa = source.find(new ServiceAccountRef("default", "s3-reader"));
 * }</pre>
 */
public interface ServiceAccountSource {

    /**
     * The ServiceAccount, or empty when it does not exist.
     *
     * @throws LookupFailedException when it cannot be known whether the ServiceAccount exists
     */
    Optional<ServiceAccount> find(ServiceAccountRef ref);
}
