package dev.emend.gateway.security;

import dev.emend.gateway.rest.ProblemException;
import jakarta.enterprise.context.RequestScoped;

import java.util.Set;

/** The authenticated key of the current request (set by {@link ApiKeyFilter}). */
@RequestScoped
public class Caller {
    private String keyId;
    private String keyName;
    private Role role;
    private Set<String> spaces = Set.of();

    void set(String keyId, String keyName, Role role, Set<String> spaces) {
        this.keyId = keyId;
        this.keyName = keyName;
        this.role = role;
        this.spaces = spaces;
    }

    public String keyId() {
        return keyId;
    }

    public String keyName() {
        return keyName;
    }

    public Role role() {
        return role;
    }

    /** 403 unless the key has at least {@code needed}. */
    public void require(Role needed, String what) {
        if (role == null) {
            throw ProblemException.unauthorized("Send an API key: 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.");
        }
        if (!role.includes(needed)) {
            throw ProblemException.forbidden("Key '" + keyName + "' has role " + role.id() + "; " + what + " needs role "
                    + needed.id() + " or higher. Ask an admin for a key with that role.");
        }
    }

    /** 403 unless the key may edit {@code space}: admins everywhere, editors where granted. */
    public void requireEditorOf(String space) {
        require(Role.EDITOR, "editing");
        if (role == Role.ADMIN || spaces.contains("*") || spaces.contains(space)) {
            return;
        }
        throw ProblemException.forbidden("Key '" + keyName + "' may edit only the spaces " + spaces
                + ", not '" + space + "'. Ask an admin to grant it this space.");
    }
}
