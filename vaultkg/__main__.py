from vaultkg.entry import main

main()
