# Turns a text file into a C++ function returning it: std::string_view FUNCTION() in NAMESPACE.
# Invoked as: cmake -DIN=... -DOUT=... -DNAMESPACE=... -DFUNCTION=... -DHEADER=... -P embed_text.cmake
file(READ "${IN}" text)
get_filename_component(name "${IN}" NAME)
file(WRITE "${OUT}.tmp" "// Generated from ${name}; do not edit.\n#include \"${HEADER}\"\n\nnamespace ${NAMESPACE} {\n\nstd::string_view ${FUNCTION}() {\n  static constexpr std::string_view kText = R\"tftext(${text})tftext\";\n  return kText;\n}\n\n}  // namespace ${NAMESPACE}\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
