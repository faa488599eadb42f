import Foreshock
print("foreshock \(Foreshock.version)")
