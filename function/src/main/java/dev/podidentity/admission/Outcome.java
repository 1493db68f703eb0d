package dev.podidentity.admission;

/**
 * How one admission ended, as logged and counted.
 *
 * <pre>{@code
 * Outcome.MUTATED.label(); // "mutated"
 * }</pre>
 */
public enum Outcome {
    MUTATED("mutated"),
    NOT_MUTATED("not-mutated"),
    DENIED("denied"),
    ERROR("error");

    private final String label;

    Outcome(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
