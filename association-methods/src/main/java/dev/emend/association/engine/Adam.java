package dev.emend.association.engine;

/**
 * The shared optimiser {@link dev.emend.core.grad.Adam} under the name this package's editors
 * used before it moved to editing-core; new code should import the core class.
 */
@Deprecated
public final class Adam extends dev.emend.core.grad.Adam {
    public Adam(int size, double lr) {
        super(size, lr);
    }
}
