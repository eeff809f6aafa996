package dev.emend.mastery.rome;

/**
 * R-ROME (Gupta et al. 2024): ROME whose update key and Wk are averaged over the same prefixes as
 * k*, which avoids ROME's sudden model collapse. Same hparams, payload and apply as {@link RomeMethod}.
 */
public final class RRomeMethod extends RomeMethod {
    public RRomeMethod() {
        super(true);
    }

    @Override
    public String name() {
        return "R-ROME";
    }

    @Override
    protected String description() {
        return "ROME with the consistent-key fix (Gupta et al. 2024): the update's key and Wk "
                + "are averaged over the same prefixes as k*, which avoids ROME's sudden model collapse.";
    }
}
