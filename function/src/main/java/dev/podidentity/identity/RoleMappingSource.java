package dev.podidentity.identity;

import dev.podidentity.serviceaccount.LookupFailedException;

/**
 * Where the ServiceAccount → role mapping comes from.
 *
 * <pre>{@code
 * RoleMappingSource source = RoleMappingSource.NONE; // mapping off
 * source.current().find(ref);
 * }</pre>
 */
@FunctionalInterface
public interface RoleMappingSource {

    /** Mapping off: nothing is mapped. */
    RoleMappingSource NONE = () -> RoleMappings.EMPTY;

    /**
     * The mapping as currently known.
     *
     * @throws LookupFailedException when it cannot be read and no recent copy is known
     */
    RoleMappings current();
}
